// The till's receipt printer (config `canteen.printer`): a served meal's receipt goes to the device
// file in the background; failures are logged and shown in `esik status`, never in the serving.
import { DeviceFileTransport, ReceiptPrinter, type PrinterStatus, type TillConfirmation } from '../canteen/index.js';
import type { KioskServices } from '../services.js';

export interface TillReceipts {
  print(served: Extract<TillConfirmation, { status: 'served' }>): void;
  status(): PrinterStatus;
}

export function attachReceiptPrinter(services: KioskServices, config: { path: string; columns: number }): TillReceipts {
  const printer = new ReceiptPrinter(new DeviceFileTransport(config.path), { columns: config.columns });
  services.onShutdown(() => printer.idle());
  let failed = 0;
  return {
    print: (served) => {
      const { view, event } = served;
      const names = new Map(view.choices.map((item) => [item.id, item]));
      const decision = view.decision.outcome === 'refuse' ? null : view.decision;
      printer.print({
        till: event.door ?? '', seq: event.seq, at: event.at, diner: view.diner?.displayName || (view.diner?.id ?? ''),
        lines: view.order.map((line) => ({ name: names.get(line.itemId)?.name ?? line.itemId, quantity: line.quantity, priceTiyn: names.get(line.itemId)?.priceTiyn ?? 0 })),
        chargeTiyn: decision?.chargeTiyn ?? 0, subsidyTiyn: decision?.subsidyTiyn ?? 0, freeCategory: decision?.freeCategory ?? null,
      });
      // Logged once per new failure, after the fact: the page has already said "served".
      void printer.idle().then(() => {
        const status = printer.status();
        if (status.failed > failed) services.logger.warn({ printer: config.path, error: status.lastError }, 'receipt not printed');
        failed = status.failed;
      });
    },
    status: () => printer.status(),
  };
}
