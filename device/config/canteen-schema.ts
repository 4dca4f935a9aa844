// `canteen`: the kiosk is a canteen till (issue 19). Readers whose `door` is the till's name feed
// the till instead of a door; the operator's page is served on the kiosk's HTTP port at /canteen.
import { z } from 'zod';

export const canteenTillSchema = z
  .object({
    /** The till's name: recorded as the meal events' door, and what its readers name as their door. */
    till: z.string().min(1).max(64).regex(/^[A-Za-z0-9._-]+$/, 'letters, digits, ".", "-" and "_" only'),
    /** Periods, menu and prices, staff meals (device/canteen/till-data.ts). */
    menuFile: z.string().min(1),
    /** The hub's last snapshot of the diners' canteen data (register, guardians' settings, balances). */
    dinersFile: z.string().min(1),
    /** With sync.url: how often both files are refreshed from the hub's snapshot (below staleAfterMs keeps an online till fresh). */
    snapshotRefreshMs: z.number().int().min(5000).max(3_600_000).default(60_000),
    /** Per child: how far below the floor the till may charge while its balances are stale. */
    offlineAllowanceTiyn: z.number().int().min(0).max(10_000_000).default(100_000),
    /** Balances older than this are stale: the till counts as offline. */
    staleAfterMs: z.number().int().min(1000).default(120_000),
    /** Addresses besides loopback allowed to use the operator's page (its touch screen on the network). */
    pageClients: z.array(z.string().min(1)).default([]),
    /** The canteen's other tills (base URLs), asked before a free meal is served. */
    peers: z.array(z.url()).default([]),
    /** The token the canteen's tills share for those questions (a file, at least 16 characters). */
    peerTokenFile: z.string().min(1).optional(),
    /** An ESC/POS receipt printer: a USB printer-class device file (/dev/usb/lp0) or a serial tty set to raw. */
    printer: z.object({ path: z.string().min(1), columns: z.number().int().min(24).max(64).default(42) }).strict().optional(),
  })
  .strict();

export type CanteenTillConfig = z.infer<typeof canteenTillSchema>;
