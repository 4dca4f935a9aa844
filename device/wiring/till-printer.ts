// The till's receipt printer (config `canteen.printer`): a served meal's receipt goes to the device
// file in the background; failures are logged and shown in `esik status`, never in the serving.
import { DeviceFileTransport, ReceiptPrinter, receiptFor, type PrinterStatus, type TillConfirmation } from '../canteen/index.js';
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
      printer.print(receiptFor(served));
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
