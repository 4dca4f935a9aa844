// `library`: the kiosk is also a library desk (issue 20). The librarian's page is served on the
// kiosk's HTTP port at /library; the desk's catalogue and loan rules are data files beside the
// config (device/library/desk-files.ts).
import { z } from 'zod';

export const libraryDeskSchema = z
  .object({
    /** The desk's name: recorded as the library events' door. */
    desk: z.string().min(1).max(64).regex(/^[A-Za-z0-9._-]+$/, 'letters, digits, ".", "-" and "_" only'),
    /** The hub's snapshot of the school's copies (barcode, title, reading-room only, status). */
    catalogueFile: z.string().min(1),
    /** Loan rules per role and class, and the library's calendar. */
    rulesFile: z.string().min(1),
    /** How often the desk asks the hub (sync.url) for a newer catalogue. */
    catalogueRefreshMs: z.number().int().min(10_000).max(86_400_000).default(300_000),
    /** Addresses besides loopback allowed to use the librarian's page. */
    pageClients: z.array(z.string().min(1)).default([]),
  })
  .strict();

export type LibraryDeskConfig = z.infer<typeof libraryDeskSchema>;
