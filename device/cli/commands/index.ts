// Every `esik` command registers itself here. Other parts add one import and one line
// (doctor, sync, db, update, enroll, biometric...).
import type { Command } from 'commander';
import { registerBiometricCalibrate } from './biometric-calibrate.js';
import { registerConfig } from './config.js';
import { registerEvents } from './events.js';
import { registerRun } from './run.js';
import { registerStatus } from './status.js';
import { registerTechnician } from './technician.js';
import { registerDoctor } from './doctor.js';
import { registerHealth } from './health.js';
import { registerRollback } from './rollback.js';
import { registerUpdate } from './update.js';
import { registerEnroll } from './enroll.js';
import { registerBiometricEval } from './biometric-eval.js';
import { registerSync } from './sync.js';
import { registerKey } from './key.js';
import { registerPin } from './pin.js';

export type CommandRegistrar = (program: Command) => void;

export const COMMANDS: CommandRegistrar[] = [
  registerRun,
  registerConfig,
  registerStatus,
  registerEvents,
  registerTechnician,
  registerBiometricCalibrate,
  registerDoctor,
  registerHealth,
  registerUpdate,
  registerRollback,
  registerEnroll,
  registerBiometricEval,
  registerSync,
  registerKey,
  registerPin,
  // ---- more commands: add one line each ----
];
