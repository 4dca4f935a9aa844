// What the simulator page is told of a decision (socket and HTTP alike).
import type { KioskDecision } from '../kiosk/index.js';

export function decisionView(decision: KioskDecision): Record<string, unknown> {
  return {
    outcome: decision.outcome,
    reason: decision.reason,
    flags: decision.flags,
    door: decision.door,
    direction: decision.direction,
    kind: decision.kind,
    name: decision.person?.name ?? null,
    group: decision.person?.group ?? null,
    seq: decision.event?.seq ?? null,
    at: decision.event?.at ?? null,
  };
}
