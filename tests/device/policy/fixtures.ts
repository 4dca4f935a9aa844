import type { Credential, Person, Schedule } from '../../../sync/store/types.js';
import type { AccessContext, AccessRequest } from '../../../device/policy/index.js';

export const OFFSET = 300; // Asia/Almaty, UTC+5

/** Epoch ms of a school-local wall time, e.g. at('2026-09-01T07:58'). */
export function at(local: string): number {
  return Date.parse(`${local}:00+05:00`);
}

export function pupil(overrides: Partial<Person> = {}): Person {
  return {
    id: 'p-1029',
    name: 'Айгерім Сейтқали',
    shortName: 'Айгерім С.',
    group: '5Б',
    role: 'student',
    status: 'active',
    validFrom: null,
    validTo: null,
    biometricConsent: true,
    displayConsent: 'short',
    ...overrides,
  };
}

export function card(overrides: Partial<Credential> = {}): Credential {
  return { id: 'c-77', personId: 'p-1029', kind: 'card', value: '04A2B91C', validFrom: null, validTo: null, singleUse: false, ...overrides };
}

export const studentSchedule: Schedule = {
  id: 's-students',
  groups: ['*'],
  roles: ['student'],
  weekly: [{ days: [1, 2, 3, 4, 5, 6], from: '07:00', to: '19:00' }],
  doors: [],
};

export const staffSchedule: Schedule = {
  id: 's-staff',
  groups: ['*'],
  roles: ['staff'],
  weekly: [{ days: [1, 2, 3, 4, 5, 6, 7], from: '06:00', to: '22:00' }],
  doors: [],
};

export const visitorSchedule: Schedule = {
  id: 's-visitors',
  groups: ['*'],
  roles: ['visitor'],
  weekly: [{ days: [1, 2, 3, 4, 5], from: '08:00', to: '17:00' }],
  doors: ['main'],
};

/** Tuesday 1 September 2026, 07:58 local: a normal school morning. */
export const MORNING = at('2026-09-01T07:58');

export function request(overrides: Partial<AccessRequest> = {}): AccessRequest {
  return {
    person: pupil(),
    credential: card(),
    kind: 'card',
    door: 'main',
    direction: 'in',
    nowWallMs: MORNING,
    utcOffsetMinutes: OFFSET,
    clockTrusted: true,
    ...overrides,
  };
}

export function context(overrides: Partial<AccessContext> = {}): AccessContext {
  return {
    schedules: [studentSchedule, staffSchedule, visitorSchedule],
    holidays: new Set(['2026-12-16']),
    mode: 'normal',
    antiPassback: 'off',
    credentialUsed: false,
    ...overrides,
  };
}
