// Between the kiosk's store and the wire: the kiosk's side of the protocol, kept out of protocol/
// because it speaks the store's types, which the hub has no business importing.
import { decodeTemplateVector, type WireEvent, type WireRosterChange } from '../../protocol/index.js';
import type { RosterChange, StoredEvent } from '../store/index.js';

/** The event as it goes on the wire: the stored event, field for field. */
export function toWireEvent(event: StoredEvent): WireEvent {
  return { ...event, data: event.data ?? undefined };
}

/** Wire change → the store's RosterChange (templates decoded to Float32Array). */
export function toRosterChange(change: WireRosterChange): RosterChange {
  if (change.op === 'delete') return change;
  if (change.type === 'template') {
    const { data, ...rest } = change.data;
    return { op: 'upsert', type: 'template', data: { ...rest, vector: decodeTemplateVector(data) } };
  }
  return change;
}
