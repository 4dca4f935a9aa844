// The school library on the hub (issue 20): the catalogue (CSV import with ISBN/EAN check digits),
// and the loans folded from the desks' events with double loans flagged, on SQLite or PostgreSQL.
export { openSqliteLibrary, LIBRARY_SQLITE_SCHEMA } from './sqlite-library.js';
// pg-library.js is reached only through openLibrary's dynamic import (and by tests): a SQLite hub never loads pg.
export { parseCatalogueCsv, splitCsv } from './csv.js';
export { LoanFolder, DEFAULT_LOAN_FOLDER_OPTIONS, type LoanFolderOptions } from './folder.js';
export { importCatalogue, registerLibraryRoutes, MAX_IMPORT_BYTES, type LibraryRouteOptions } from './routes.js';
export {
  COPY_STATUSES,
  type CatalogueRow,
  type CopyRecord,
  type CopyStatus,
  type ImportResult,
  type LibraryStore,
  type LoanFlag,
  type LoanFlagKind,
  type LoanRecord,
  type RowError,
  type TitleRecord,
} from './types.js';
export { openLibrary, loanFolderOptionsFromEnv, type OpenedLibrary } from './open-library.js';
export { libraryReport, STAFF_KEY, UNKNOWN_KEY, type LibraryReport } from './reports.js';
