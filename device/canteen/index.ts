// The canteen till's rule: what a presented person may have from the tray now, and who pays; the
// till station that proposes, confirms and records meals; its operator's page and receipt printer;
// its data files kept current from the hub's snapshot.
export { mealDecision } from './meal-rule.js';
export {
  MEAL_PERIOD_KINDS,
  MEAL_REFUSALS,
  type CanteenContext,
  type Diner,
  type FreeMealEntitlement,
  type GuardianSettings,
  type KnownBalance,
  type MealDecision,
  type MealPeriod,
  type MealPeriodKind,
  type MealRefusal,
  type MealRequest,
  type MenuItem,
  type OrderLine,
  type ServedMeal,
} from './types.js';
export { CanteenTill, type CanteenTillOptions, type FreeMealClaim, type TillPeerLink } from './till.js';
export { HttpTillPeers, PEER_CLAIM_PATH, registerPeerRoute, type HttpTillPeersOptions } from './till-peers.js';
export type { DinerDirectory, DinerRecord, OwnMeal, TillClock, TillConfirmation, TillDiner, TillEventLog, TillPresentation, TillView } from './till-types.js';
export { SnapshotDinerDirectory, canteenFileSchema, dinersFileSchema, loadCanteenContext } from './till-data.js';
export { registerTillPage, type TillPageOptions } from './till-page.js';
export { SwappableDiners, TillSnapshotSync, type SnapshotFetch, type TillSnapshotSyncOptions } from './snapshot-sync.js';
export { DeviceFileTransport, ReceiptPrinter, encodeReceipt, receiptFor, type PrinterStatus, type PrinterTransport, type Receipt, type ReceiptLine } from './receipt.js';
