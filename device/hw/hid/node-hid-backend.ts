// The real HID transport: node-hid, imported only when a config names an HID reader. HIDAsync and
// devicesAsync (node-hid >= 3) keep USB I/O off the event loop that also drives the door.
import type { HidBackend, HidHandle } from '../deps.js';

type NodeHidModule = typeof import('node-hid');

export async function loadNodeHidBackend(): Promise<HidBackend> {
  const imported = (await import('node-hid')) as NodeHidModule & { default?: NodeHidModule };
  const hid: NodeHidModule = imported.default ?? imported;
  return {
    devices: () => (typeof hid.devicesAsync === 'function' ? hid.devicesAsync() : hid.devices()),
    open: async (path: string): Promise<HidHandle> =>
      typeof hid.HIDAsync?.open === 'function' ? await hid.HIDAsync.open(path) : new hid.HID(path),
  };
}
