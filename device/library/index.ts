// The library desk's rule: whether a presented borrower may take, renew or return a scanned copy,
// and until when; and the decoding of a book scanner's lines into barcodes.
export { loanDecision, ruleFor } from './loan-rule.js';
export { addDays, daysBetween, dueDateFrom, isOpen, isOverdue } from './calendar.js';
export {
  LIBRARY_ACTIONS,
  LIBRARY_REFUSALS,
  type ActiveLoan,
  type Borrower,
  type LibraryAction,
  type LibraryContext,
  type LibraryCopy,
  type LibraryDecision,
  type LibraryRefusal,
  type LibraryRequest,
  type LoanRule,
} from './types.js';
export { LibraryDesk, type DeskCatalogue, type DeskClock, type DeskEventLog, type DeskLoan, type DeskOutcome, type DeskScan, type LibraryDeskOptions } from './desk.js';
export { registerDeskPage, type DeskAnswer, type DeskPageOptions } from './desk-page.js';
export { SnapshotDeskCatalogue, deskCatalogueFileSchema, deskRulesFileSchema, loadLibraryContext } from './desk-files.js';
export { CatalogueSync, SwappableCatalogue, type CatalogueFetch } from './catalogue-sync.js';
