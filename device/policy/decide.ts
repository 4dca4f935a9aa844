// The access decision, as pure functions. Order matters and is part of the contract: the first
// failing rule names the deny reason, so a blocked pupil with an expired card is reported "blocked"
// only if the card itself is fine — the credential is checked first because it is what was shown.
import type { Credential, Person, PersonRole, Schedule } from '../../sync/store/index.js';
import { boundaryMs, parseClockTime, toLocalTime, type LocalTime } from './local-time.js';
import { checkFactors, credentialModeFor, presentationAttackActionFor } from './factors.js';
import type { AccessContext, AccessRequest, Decision, DecisionFlag, DenyReason, FactorEvidence } from './types.js';

const BIOMETRIC_KINDS = new Set(['face', 'palm']);

function deny(reason: DenyReason, flags: DecisionFlag[] = []): Decision {
  return { outcome: 'deny', reason, flags };
}

function grant(flags: DecisionFlag[] = []): Decision {
  return { outcome: 'grant', reason: null, flags };
}

type WindowCheck = 'inside' | 'early' | 'late';

/**
 * Where `now` falls relative to [from, to]. An unparsable boundary counts as outside (fail closed):
 * a garbled visitor pass must not become an unlimited one.
 */
function checkWindow(from: string | null, to: string | null, nowMs: number, offset: number): WindowCheck {
  try {
    if (from !== null && nowMs < boundaryMs(from, offset, 'start')) return 'early';
    if (to !== null && nowMs >= boundaryMs(to, offset, 'end')) return 'late';
    return 'inside';
  } catch {
    return 'late';
  }
}

function hasWindow(item: { validFrom: string | null; validTo: string | null }): boolean {
  return item.validFrom !== null || item.validTo !== null;
}

function checkCredential(credential: Credential, request: AccessRequest, context: AccessContext): DenyReason | null {
  if (hasWindow(credential)) {
    if (!request.clockTrusted) return 'clock_untrusted';
    const where = checkWindow(credential.validFrom, credential.validTo, request.nowWallMs, request.utcOffsetMinutes);
    if (where === 'early') return 'credential_not_yet_valid';
    if (where === 'late') return 'credential_expired';
  }
  if (credential.singleUse && context.credentialUsed) return 'credential_used';
  return null;
}

function checkPerson(person: Person, request: AccessRequest, evidence: FactorEvidence): DenyReason | null {
  if (person.status === 'blocked') return 'blocked';
  if (person.status === 'inactive') return 'inactive';
  // Any biometric factor counts: a face that only confirmed a card was still a use of the template.
  const biometric = BIOMETRIC_KINDS.has(request.kind) || evidence.presented.some((factor) => BIOMETRIC_KINDS.has(factor));
  if (biometric && !person.biometricConsent) return 'no_biometric_consent';
  if (hasWindow(person)) {
    // A time-bound pass cannot be honoured on a clock that may say 1970; pupils and staff without a
    // window are unaffected, so a child still gets in on a morning the Pi booted without NTP.
    if (!request.clockTrusted) return 'clock_untrusted';
    const where = checkWindow(person.validFrom, person.validTo, request.nowWallMs, request.utcOffsetMinutes);
    if (where === 'early') return 'not_yet_valid';
    if (where === 'late') return 'expired';
  }
  return null;
}

function scheduleApplies(schedule: Schedule, role: PersonRole, group: string | null, door: string): boolean {
  if (!schedule.roles.includes(role)) return false;
  const groupMatches = schedule.groups.includes('*') || (group !== null && schedule.groups.includes(group));
  if (!groupMatches) return false;
  return schedule.doors.length === 0 || schedule.doors.includes(door);
}

function scheduleOpenAt(schedule: Schedule, local: LocalTime): boolean {
  return schedule.weekly.some((window) => {
    if (!window.days.includes(local.isoWeekday)) return false;
    try {
      const from = parseClockTime(window.from);
      const to = parseClockTime(window.to);
      return local.minuteOfDay >= from && local.minuteOfDay < to;
    } catch {
      return false; // a malformed window grants nothing
    }
  });
}

function isHoliday(context: AccessContext, date: string): boolean {
  const holidays = context.holidays;
  if (holidays instanceof Set) return holidays.has(date);
  return (holidays as readonly { date: string }[]).some((h) => h.date === date);
}

/**
 * Entry schedules. Exits are never refused by schedule or holiday: a child must always be able to
 * leave (the exit button and fire alarm are separate, physical paths). Staff are not bound by the
 * holiday calendar, only by their own schedules.
 */
function checkSchedule(person: Person, request: AccessRequest, context: AccessContext, flags: DecisionFlag[]): DenyReason | null {
  if (request.direction === 'out') return null;
  const applicable = context.schedules.filter((s) => scheduleApplies(s, person.role, person.group, request.door));
  if (applicable.length === 0) return 'no_access_to_door';
  if (!request.clockTrusted) {
    flags.push('clock_untrusted');
    return null;
  }
  const local = toLocalTime(request.nowWallMs, request.utcOffsetMinutes);
  if (person.role !== 'staff' && isHoliday(context, local.date)) return 'holiday';
  return applicable.some((s) => scheduleOpenAt(s, local)) ? null : 'outside_schedule';
}

/**
 * Anti-passback: the same person passing the same way twice without the opposite passage between.
 * The memory of the last passage is cleared at local midnight, so a pupil who left by a door
 * without an exit reader yesterday is not refused this morning.
 */
function checkAntiPassback(request: AccessRequest, context: AccessContext, flags: DecisionFlag[]): DenyReason | null {
  const last = context.lastPassage;
  if (context.antiPassback === 'off' || last === undefined) return null;
  if (last.direction !== request.direction) return null;
  const sameDay =
    toLocalTime(last.wallMs, request.utcOffsetMinutes).date === toLocalTime(request.nowWallMs, request.utcOffsetMinutes).date;
  if (!sameDay) return null;
  if (context.antiPassback === 'hard') return 'anti_passback';
  flags.push('anti_passback_soft');
  return null;
}

/**
 * Presentation-attack detection's verdict, as the door's setting says: `deny` refuses a suspected
 * face, `flag` lets it through with the flag on the event for the school to review, `off` ignores it.
 */
function checkPresentationAttack(request: AccessRequest, context: AccessContext, flags: DecisionFlag[]): DenyReason | null {
  if (request.presentationAttack !== 'suspected') return null;
  const action = presentationAttackActionFor(context.presentationAttack, request.door);
  if (action === 'deny') return 'spoof_suspected';
  if (action === 'flag') flags.push('spoof_suspected');
  return null;
}

export function decide(request: AccessRequest, context: AccessContext): Decision {
  if (context.mode === 'maintenance') return deny('maintenance');
  const person = request.person;
  if (person === null) return deny('unknown');
  if (context.mode === 'emergency') return grant(['emergency']);

  const flags: DecisionFlag[] = [];
  const spoofProblem = checkPresentationAttack(request, context, flags);
  if (spoofProblem) return deny(spoofProblem, flags);
  if (request.credential !== null) {
    const credentialProblem = checkCredential(request.credential, request, context);
    if (credentialProblem) return deny(credentialProblem, flags);
  }
  const mode = credentialModeFor(context.credentialModes, request.door, person.role);
  const evidence: FactorEvidence = request.factors ?? { presented: [request.kind] };
  const factorProblem = checkFactors(mode, evidence);
  if (factorProblem === 'credential_not_accepted') return deny(factorProblem, flags);
  const personProblem = checkPerson(person, request, evidence);
  if (personProblem) return deny(personProblem, flags);
  if (context.mode === 'lockdown' && person.role !== 'staff') return deny('lockdown', flags);

  const scheduleProblem = checkSchedule(person, request, context, flags);
  if (scheduleProblem) return deny(scheduleProblem, flags);
  const passbackProblem = checkAntiPassback(request, context, flags);
  if (passbackProblem) return deny(passbackProblem, flags);
  // Last, so `second_factor_missing` means "everything else allows this person": the kiosk then
  // holds the first factor for its second instead of recording a denial.
  if (factorProblem) return deny(factorProblem, flags);
  return grant(flags);
}
