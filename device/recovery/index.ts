// Store recovery at boot: quarantine a damaged database, salvage its unsent events, raise the alarm.
export {
  DB_CORRUPT_REASON, type OpenedStore, type StoreRecoveryReport, dbCorruptAlarmDraft, moveIntoQuarantine, openStoreRecovering,
  quarantineFolder, storeRecoveryCheck,
} from './store-recovery.js';
