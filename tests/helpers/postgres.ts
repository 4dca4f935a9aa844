// Tests' door to a throwaway PostgreSQL (scripts/pg-temp.ts holds the core, shared with bench/).
export { startPostgres, type TempPostgres } from '../../scripts/pg-temp.js';
