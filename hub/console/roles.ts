// Who may see what in the console. One table, read by every route: a route names the capability it
// needs, never a list of roles, so adding a role is one line here.
export const ROLES = ['director', 'class_teacher', 'canteen', 'librarian', 'technician', 'district'] as const;
export type Role = (typeof ROLES)[number];

export function isRole(value: string): value is Role {
  return (ROLES as readonly string[]).includes(value);
}

export type Capability =
  /** Today's attendance of every class, with names (class pages). */
  | 'attendance.all'
  /** One class's attendance, with names: the account's own class only. */
  | 'attendance.own_class'
  /** Per-class counts without names (a district officer's aggregates). */
  | 'attendance.counts'
  /** Devices and their health: ids, labels, last contact; never a person. */
  | 'devices'
  | 'accounts.manage'
  /** Create, edit, block, unblock and import pupils and guardians (ИИН included). */
  | 'people.manage'
  /** Enrol face photos for anyone in the school (templates, never the photos, are kept). */
  | 'biometrics.enrol'
  /** Enrol face photos for the pupils of the account's own class only. */
  | 'biometrics.enrol_own_class'
  | 'audit.export'
  /**
   * Consent records and data-subject requests (Law 94-V): names, guardians and the register of
   * requests. The school's administration only: never a class teacher, and never a technician, who
   * sees devices and no names.
   */
  | 'privacy.manage'
  /**
   * The canteen's pages: today's counts, the fold's flags (mark resolved), a child's statement, the
   * free-meal report, the menu and the free-meal register. Names and money: never a technician's.
   */
  | 'canteen.manage'
  /** Take cash for a child's canteen account and reverse a top-up (the cashier's till, audited). */
  | 'canteen.topup'
  /** Staff arrivals and departures (first in, last out): an employer's record, the director's only. */
  | 'staff.attendance'
  /**
   * The library's pages: overdue loans with borrowers' names, loans per class, a copy's loans, the
   * double-loan flags (mark resolved) and the catalogue upload. Never a technician's: names.
   */
  | 'library.manage';

const GRANTS: Record<Role, readonly Capability[]> = {
  director: ['attendance.all', 'attendance.counts', 'devices', 'accounts.manage', 'people.manage', 'biometrics.enrol', 'audit.export', 'privacy.manage', 'canteen.manage', 'staff.attendance', 'library.manage'],
  class_teacher: ['attendance.own_class', 'biometrics.enrol_own_class'],
  canteen: ['canteen.manage', 'canteen.topup'],
  librarian: ['library.manage'],
  technician: ['devices'],
  district: ['attendance.counts'],
};

export function can(role: Role, capability: Capability): boolean {
  return GRANTS[role].includes(capability);
}

/** May this account open class `group`'s page (names of its pupils)? */
export function canSeeClass(account: { role: Role; className: string | null }, group: string): boolean {
  if (can(account.role, 'attendance.all')) return true;
  return can(account.role, 'attendance.own_class') && account.className !== null && account.className === group;
}

/** May this account enrol photos of a person in class `group` (null: not in a class)? */
export function canEnrol(account: { role: Role; className: string | null }, group: string | null): boolean {
  if (can(account.role, 'biometrics.enrol')) return true;
  return can(account.role, 'biometrics.enrol_own_class') && account.className !== null && group !== null && account.className === group;
}
