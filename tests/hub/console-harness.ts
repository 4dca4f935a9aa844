// A real hub with its console on a real socket (port 0), on SQLite or PostgreSQL (backends.ts),
// with a small school: two classes of pupils with Kazakh names, one kiosk, and today's arrivals
// (one on time, one late per class, the rest absent). Accounts are made with known passwords.
import type { FastifyInstance } from 'fastify';
import { buildHub, type HubStorage } from '../../hub/index.js';
import { createAccount, DEFAULT_SCHOOL_DAY, type AccountRecord, type Role } from '../../hub/console/index.js';
import { dayBounds } from '../../hub/console/attendance.js';
import { hashToken } from '../../hub/auth.js';
import { openCanteenLedger, openCanteenMeals, type OpenedMeals } from '../../hub/canteen/index.js';
import { openLibrary, type OpenedLibrary } from '../../hub/library/index.js';
import { closeWithin } from '../../lib/index.js';
import { silentLogger } from '../sync/helpers.js';
import { event, items, person, type StorageBackend } from './backends.js';

export const PUPILS = [
  { id: 'p-1', name: 'Әсел Ғалымова', group: '5А' },
  { id: 'p-2', name: 'Қуаныш Өмірзақов', group: '5А' },
  { id: 'p-3', name: 'Ұлжан Үсенова', group: '5А' },
  { id: 'p-4', name: 'Іңкәр Һадиева', group: '6Б' },
  { id: 'p-5', name: 'Dana Smithson', group: '6Б' },
];
/** Every name and name part a response must not carry to a technician. */
export const NAME_PARTS = PUPILS.flatMap((p) => [p.name, ...p.name.split(' ')]);

export const PASSWORD = 'correct horse battery';

export interface HarnessOptions {
  failuresPerAddress?: number;
  idleTimeoutMs?: number;
  /** Serve the school library (hub/library) too, on the same database, for the librarian's pages. */
  library?: boolean;
  /** Serve the canteen (ledger, meals, settings) too, on the same database, for the canteen pages. */
  canteen?: boolean;
}

/** The canteen's stores when `options.canteen`; the meal fold is not started (tests write meals themselves). */
export interface HarnessCanteen {
  ledger: Awaited<ReturnType<typeof openCanteenLedger>>;
  meals: OpenedMeals;
}

export class ConsoleHarness {
  readonly accounts = new Map<string, AccountRecord>();

  private constructor(
    readonly storage: HubStorage,
    private app: FastifyInstance,
    private readonly options: HarnessOptions,
    /** The library when `options.library`; its folder is not started (tests fold with catchUp()). */
    readonly library: OpenedLibrary | null,
    readonly canteen: HarnessCanteen | null = null,
  ) {}

  /** `sameDatabaseAs`: a second hub process on another's database (the school is already there). */
  static async start(backend: StorageBackend, options: HarnessOptions = {}, sameDatabaseAs?: ConsoleHarness): Promise<ConsoleHarness> {
    const storage = await backend.open(sameDatabaseAs?.storage);
    const library = options.library ? await openLibrary(backend.location(storage), storage, silentLogger) : null;
    const location = backend.location(storage);
    const ledger = options.canteen ? await openCanteenLedger(location, silentLogger, { offlineAllowanceTiyn: 50_000 }) : null;
    const canteen = ledger ? { ledger, meals: await openCanteenMeals(location, storage, ledger.ledger, silentLogger) } : null;
    const harness = new ConsoleHarness(storage, await ConsoleHarness.listen(storage, options, library, canteen), options, library, canteen);
    if (!sameDatabaseAs) await harness.seedSchool();
    return harness;
  }

  private static async listen(storage: HubStorage, options: HarnessOptions, library: OpenedLibrary | null, canteen: HarnessCanteen | null = null): Promise<FastifyInstance> {
    const app = await buildHub({
      storage,
      ...(canteen ? { canteen: { ledger: canteen.ledger.ledger, meals: canteen.meals.store, settings: canteen.meals.settings } } : {}),
      ...(library ? { library: { store: library.store, folder: library.folder } } : {}),
      logger: silentLogger,
      adminToken: 'admin-token-for-console-tests',
      console: { idleTimeoutMs: options.idleTimeoutMs, limits: { failuresPerAddress: options.failuresPerAddress ?? 100 } },
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    return app;
  }

  get url(): string {
    const address = this.app.server.address();
    if (typeof address !== 'object' || address === null) throw new Error('not listening');
    return `http://127.0.0.1:${address.port}`;
  }

  /** Stops the server and starts another on the same database (a hub restart). */
  async restart(): Promise<void> {
    await closeWithin(this.app.server, () => this.app.close());
    this.app = await ConsoleHarness.listen(this.storage, this.options, this.library, this.canteen);
  }

  async account(username: string, role: Role, className: string | null = null, password = PASSWORD): Promise<AccountRecord> {
    const account = await createAccount(this.storage, { username, displayName: `Test ${username}`, role, className, password });
    this.accounts.set(username, account);
    return account;
  }

  private async seedSchool(): Promise<void> {
    await this.storage.applyRoster(PUPILS.map((p) => person(p.id, { name: p.name, group: p.group })));
    await this.storage.addDevice('kiosk-1', 'Main entrance', await hashToken('device-token-for-console-tests'));
    const { bellMs } = dayBounds(Date.now(), DEFAULT_SCHOOL_DAY);
    const at = (ms: number): { wallMs: number; at: string } => ({ wallMs: ms, at: new Date(ms).toISOString() });
    const arrivals = [
      event(1, { personId: 'p-1', ...at(bellMs - 15 * 60_000) }),
      event(2, { personId: 'p-2', ...at(bellMs + 20 * 60_000) }),
      event(3, { personId: 'p-4', ...at(bellMs - 5 * 60_000) }),
      event(4, { personId: 'p-5', ...at(bellMs + 40 * 60_000) }),
      // Leaving does not make anyone present.
      event(5, { personId: 'p-3', direction: 'out', ...at(bellMs - 60 * 60_000) }),
    ];
    await this.storage.ingest('kiosk-1', items(...arrivals), null, null, Date.now());
  }

  async stop(): Promise<void> {
    await closeWithin(this.app.server, () => this.app.close());
    await this.library?.close();
    await this.canteen?.meals.close();
    await this.canteen?.ledger.close();
    await this.storage.close();
  }
}
