// The till's receipt: ESC/POS bytes made by @point-of-sale/receipt-printer-encoder, and a printer
// that sends them over a transport (a USB printer-class device file such as /dev/usb/lp0, or a raw
// serial tty) in the background. The meal is already committed when a receipt is asked for: a
// printer that is absent, jammed or slow only shows in the till's status, it never delays or undoes
// the serving. Receipts wait in a short queue; when it is full the oldest is dropped and counted.
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import ReceiptPrinterEncoder from '@point-of-sale/receipt-printer-encoder';
import type { TillConfirmation } from './till-types.js';

export interface ReceiptLine {
  name: string;
  quantity: number;
  priceTiyn: number;
}

export interface Receipt {
  till: string;
  seq: number;
  at: string;
  /** As the page showed it (consent-masked), or an id. */
  diner: string;
  lines: readonly ReceiptLine[];
  chargeTiyn: number;
  subsidyTiyn: number;
  freeCategory: string | null;
}

/** The receipt of a served meal, from what the operator's page was shown. */
export function receiptFor(served: Extract<TillConfirmation, { status: 'served' }>): Receipt {
  const { view, event } = served;
  const items = new Map(view.choices.map((item) => [item.id, item]));
  const decision = view.decision.outcome === 'refuse' ? null : view.decision;
  return {
    till: event.door ?? '', seq: event.seq, at: event.at, diner: view.diner?.displayName || (view.diner?.id ?? ''),
    lines: view.order.map((line) => ({ name: items.get(line.itemId)?.name ?? line.itemId, quantity: line.quantity, priceTiyn: items.get(line.itemId)?.priceTiyn ?? 0 })),
    chargeTiyn: decision?.chargeTiyn ?? 0, subsidyTiyn: decision?.subsidyTiyn ?? 0, freeCategory: decision?.freeCategory ?? null,
  };
}

const money = (tiyn: number): string => `${Math.trunc(tiyn / 100)}.${String(Math.abs(tiyn) % 100).padStart(2, '0')}`;

export function encodeReceipt(receipt: Receipt, columns = 42): Uint8Array {
  const encoder = new ReceiptPrinterEncoder({ language: 'esc-pos', columns, codepageMapping: 'epson' });
  encoder.initialize().codepage('auto').align('center').bold(true).line('ASKHANA / CANTEEN').bold(false).line(`${receipt.till} #${receipt.seq}`).line(receipt.at).align('left').newline();
  encoder.line(receipt.diner);
  encoder.table(
    [{ width: columns - 12, align: 'left' }, { width: 11, align: 'right' }],
    receipt.lines.map((line) => [`${line.quantity} x ${line.name}`, money(line.priceTiyn * line.quantity)]),
  );
  if (receipt.subsidyTiyn > 0) encoder.line(`Free meal (${receipt.freeCategory ?? 'register'}): -${money(receipt.subsidyTiyn)}`);
  return encoder.bold(true).line(`TOTAL: ${money(receipt.chargeTiyn)} KZT`).bold(false).newline(2).cut('partial').encode();
}

/** Where receipt bytes go. */
export interface PrinterTransport {
  write(bytes: Uint8Array): Promise<void>;
}

/**
 * A character device (or, in tests, a file or FIFO) opened for each receipt: a printer unplugged
 * between receipts is simply found again. Non-blocking: a FIFO with no reader fails at once (ENXIO).
 */
export class DeviceFileTransport implements PrinterTransport {
  constructor(private readonly path: string) {}

  async write(bytes: Uint8Array): Promise<void> {
    const handle = await open(this.path, constants.O_WRONLY | constants.O_APPEND | constants.O_NONBLOCK);
    try {
      await handle.write(bytes);
    } finally {
      await handle.close();
    }
  }
}

export interface PrinterStatus {
  printed: number;
  failed: number;
  dropped: number;
  queued: number;
  lastError: string | null;
}

export class ReceiptPrinter {
  readonly #queue: Uint8Array[] = [];
  readonly #status: PrinterStatus = { printed: 0, failed: 0, dropped: 0, queued: 0, lastError: null };
  #running: Promise<void> | null = null;

  constructor(
    private readonly transport: PrinterTransport,
    private readonly options: { columns: number; capacity?: number; timeoutMs?: number },
  ) {}

  /** Queues the receipt and returns at once. */
  print(receipt: Receipt): void {
    let bytes: Uint8Array;
    try {
      bytes = encodeReceipt(receipt, this.options.columns);
    } catch (error) {
      this.#fail(error);
      return;
    }
    if (this.#queue.length >= (this.options.capacity ?? 20)) {
      this.#queue.shift();
      this.#status.dropped += 1;
    }
    this.#queue.push(bytes);
    this.#running ??= this.#drain().finally(() => (this.#running = null));
  }

  status(): PrinterStatus {
    return { ...this.#status, queued: this.#queue.length };
  }

  /** Resolves when the queue is empty (shutdown, tests). */
  async idle(): Promise<void> {
    while (this.#running !== null) await this.#running;
  }

  async #drain(): Promise<void> {
    for (let bytes = this.#queue.shift(); bytes !== undefined; bytes = this.#queue.shift()) {
      try {
        await this.#withTimeout(this.transport.write(bytes));
        this.#status.printed += 1;
      } catch (error) {
        this.#fail(error);
      }
    }
  }

  #withTimeout(work: Promise<void>): Promise<void> {
    const ms = this.options.timeoutMs ?? 5000;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`printer did not take the receipt within ${ms} ms`)), ms);
    });
    return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
  }

  #fail(error: unknown): void {
    this.#status.failed += 1;
    this.#status.lastError = error instanceof Error ? error.message : String(error);
  }
}
