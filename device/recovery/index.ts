// Store recovery at boot, as the kiosk sees it: the report, the db_corrupt alarm, the health check.
// The opening itself (quarantine, salvage, rebuild) is device/kiosk/open-store.ts.
export { DB_CORRUPT_REASON, type StoreRecoveryReport, dbCorruptAlarmDraft, storeRecoveryCheck } from './store-recovery.js';
