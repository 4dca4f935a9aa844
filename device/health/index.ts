export * from './checks.js';
export * from './monitor.js';
export * from './server.js';
export { formatDoctorReport, runDoctor } from './doctor.js';
