// The library desk station: a scanned copy and a presented borrower go through loanDecision(), and
// an allowed loan, return or renewal is recorded as a library.* event in the kiosk's log before the
// desk says yes, so it is synced upstream exactly once like every other event (by (deviceId, seq)).
// The desk knows the loans from its own log (rebuilt at start); loans made at other desks reach it
// only through the hub, so two offline desks can lend one copy: the hub flags that (hub/library).
// Scans are handled one at a time: two quick scans of one copy must not both pass the rule.
import type { CredentialKind, EventDraft, StoredEvent } from '../../sync/store/index.js';
import { toLocalTime } from '../policy/index.js';
import { isOverdue } from './calendar.js';
import { loanDecision } from './loan-rule.js';
import type { ActiveLoan, Borrower, LibraryAction, LibraryContext, LibraryCopy, LibraryDecision } from './types.js';

export interface DeskCatalogue {
  copy(barcode: string): LibraryCopy | null;
}

export interface DeskEventLog {
  append(draft: EventDraft): Promise<StoredEvent>;
  since(afterSeq: number, limit: number): Promise<StoredEvent[]>;
}

export interface DeskClock {
  wallMs(): number;
  trusted(): boolean;
  utcOffsetMinutes(): number;
}

export interface LibraryDeskOptions {
  /** The desk's name, recorded as the event's door. */
  desk: string;
  events: DeskEventLog;
  catalogue: DeskCatalogue;
  context: LibraryContext;
  clock: DeskClock;
}

export interface DeskScan {
  action: LibraryAction;
  borrower: Borrower | null;
  barcode: string;
  credential: { kind: CredentialKind; ref?: string } | null;
}

export interface DeskOutcome {
  decision: LibraryDecision;
  /** The committed event; null when refused. */
  event: StoredEvent | null;
}

export interface DeskLoan extends ActiveLoan {
  eventId: string;
}

const PAGE = 1000;

function dataOf(event: StoredEvent): { copyId: string; dueDate: string | null; renewals: number } | null {
  const data = event.data ?? {};
  const copyId = data.copyId;
  if (typeof copyId !== 'string') return null;
  return { copyId, dueDate: typeof data.dueDate === 'string' ? data.dueDate : null, renewals: typeof data.renewals === 'number' ? data.renewals : 0 };
}

export class LibraryDesk {
  readonly #loans = new Map<string, DeskLoan>();
  #queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: LibraryDeskOptions) {}

  /** Rebuilds the open loans from the desk's own event log. */
  async start(): Promise<void> {
    this.#loans.clear();
    for (let after = 0; ; ) {
      const page = await this.options.events.since(after, PAGE);
      for (const event of page) this.#apply(event);
      if (page.length < PAGE) return;
      after = page[page.length - 1]?.seq ?? after;
    }
  }

  scan(scan: DeskScan): Promise<DeskOutcome> {
    const next = this.#queue.then(() => this.#handle(scan));
    this.#queue = next.catch(() => undefined);
    return next;
  }

  /** Open loans due before today (school-local), oldest due first. */
  overdue(): DeskLoan[] {
    const today = toLocalTime(this.options.clock.wallMs(), this.options.clock.utcOffsetMinutes()).date;
    return this.loans().filter((loan) => isOverdue(loan.dueDate, today)).sort((a, b) => a.dueDate.localeCompare(b.dueDate));
  }

  /** Open loans, of one borrower or all. */
  loans(borrowerId?: string): DeskLoan[] {
    return [...this.#loans.values()].filter((loan) => borrowerId === undefined || loan.borrowerId === borrowerId);
  }

  async #handle(scan: DeskScan): Promise<DeskOutcome> {
    const { clock, context } = this.options;
    const copy = this.options.catalogue.copy(scan.barcode);
    const copyLoan = copy ? (this.#loans.get(copy.id) ?? null) : null;
    const decision = loanDecision(
      {
        action: scan.action, borrower: scan.borrower, copy, copyLoan, borrowerLoans: scan.borrower ? this.loans(scan.borrower.id) : [],
        nowWallMs: clock.wallMs(), utcOffsetMinutes: clock.utcOffsetMinutes(), clockTrusted: clock.trusted(),
      },
      context,
    );
    if (decision.outcome === 'refuse' || copy === null) return { decision, event: null };
    const event = await this.options.events.append(this.#draft(scan, copy, copyLoan, decision));
    this.#apply(event);
    return { decision, event };
  }

  #draft(scan: DeskScan, copy: LibraryCopy, copyLoan: DeskLoan | null, decision: Exclude<LibraryDecision, { outcome: 'refuse' }>): EventDraft {
    const personId = decision.outcome === 'return' ? decision.borrowerId : (scan.borrower?.id ?? null);
    return {
      type: `library.${decision.outcome}`,
      door: this.options.desk,
      direction: null,
      personId,
      credential: scan.credential,
      reason: null,
      data: {
        copyId: copy.id,
        titleId: copy.titleId,
        dueDate: decision.outcome === 'return' ? null : decision.dueDate,
        renewals: decision.outcome === 'renew' ? decision.renewals : 0,
        loanEventId: copyLoan?.eventId ?? null,
      },
    };
  }

  #apply(event: StoredEvent): void {
    const data = dataOf(event);
    if (data === null) return;
    if (event.type === 'library.loan') {
      this.#loans.set(data.copyId, { eventId: event.id, copyId: data.copyId, borrowerId: event.personId ?? '', loanedAtMs: event.wallMs, dueDate: data.dueDate ?? '', renewals: 0 });
    } else if (event.type === 'library.return') {
      this.#loans.delete(data.copyId);
    } else if (event.type === 'library.renew') {
      const loan = this.#loans.get(data.copyId);
      if (loan) this.#loans.set(data.copyId, { ...loan, dueDate: data.dueDate ?? loan.dueDate, renewals: data.renewals });
    }
  }
}
