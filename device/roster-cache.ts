// The roster as the hot path reads it: a card lookup is a Map get, never a database read. The
// store stays the source of truth; this cache mirrors each applied page so identification follows
// a deletion or a new template without a pause or a reload.
import { EventEmitter } from 'node:events';
import type { Credential, Person, RosterChange, RosterSnapshot, RosterStore, TemplateRecord } from '../sync/store/index.js';

export interface TemplateDelta {
  added: TemplateRecord[];
  removed: string[];
}

export function credentialKey(kind: Credential['kind'], value: string): string {
  return `${kind}:${kind === 'card' ? normaliseCardUid(value) : value}`;
}

/** Readers differ in case and separators ("04:a2:b9:1c"); the roster stores upper-case hex. */
export function normaliseCardUid(value: string): string {
  return value.replace(/[\s:-]/g, '').toUpperCase();
}

export function emptySnapshot(): RosterSnapshot {
  return { people: new Map(), credentials: new Map(), templates: [], schedules: [], holidays: new Set(), settings: new Map() };
}

/** What the roster tells the matcher, so it follows incrementally. */
export interface RosterCacheEvents {
  /** People deleted or blocked: out of memory (matcher, caches) at once. */
  purged: [personIds: string[]];
  /** Templates added or removed: the gallery changes. */
  templates: [delta: TemplateDelta];
}

export class RosterCache extends EventEmitter<RosterCacheEvents> {
  private snapshot: RosterSnapshot = emptySnapshot();
  private readonly credentialKeyById = new Map<string, string>();

  static async load(store: Pick<RosterStore, 'load'>): Promise<RosterCache> {
    const cache = new RosterCache();
    cache.replace(await store.load());
    return cache;
  }

  get roster(): RosterSnapshot {
    return this.snapshot;
  }

  person(id: string): Person | undefined {
    return this.snapshot.people.get(id);
  }

  credential(kind: Credential['kind'], value: string): Credential | undefined {
    return this.snapshot.credentials.get(credentialKey(kind, value));
  }

  /** Swaps in a whole snapshot (start-up, full re-pull) and reports the template difference. */
  replace(next: RosterSnapshot): void {
    const before = new Set(this.snapshot.templates.map((t) => t.id));
    const after = new Set(next.templates.map((t) => t.id));
    const removedPeople = [...this.snapshot.people.keys()].filter((id) => !next.people.has(id));
    this.snapshot = next;
    this.credentialKeyById.clear();
    for (const [key, credential] of next.credentials) this.credentialKeyById.set(credential.id, key);
    const delta: TemplateDelta = {
      added: next.templates.filter((t) => !before.has(t.id)),
      removed: [...before].filter((id) => !after.has(id)),
    };
    if (removedPeople.length > 0) this.emit('purged', removedPeople);
    if (delta.added.length > 0 || delta.removed.length > 0) this.emit('templates', delta);
  }

  /** Mirrors a page the store has just applied (upstream pull or local change). */
  applyChanges(changes: readonly RosterChange[], purgedPersonIds: readonly string[] = []): void {
    const delta: TemplateDelta = { added: [], removed: [] };
    const purged = new Set(purgedPersonIds);
    for (const change of changes) {
      if (change.op === 'delete') this.applyDelete(change.type, change.id, delta, purged);
      else this.applyUpsert(change, delta, purged);
    }
    for (const personId of purged) this.dropTemplatesOf(personId, delta);
    if (purged.size > 0) this.emit('purged', [...purged]);
    if (delta.added.length > 0 || delta.removed.length > 0) this.emit('templates', delta);
  }

  private applyUpsert(change: Extract<RosterChange, { op: 'upsert' }>, delta: TemplateDelta, purged: Set<string>): void {
    const s = this.snapshot;
    switch (change.type) {
      case 'person':
        s.people.set(change.data.id, change.data);
        // A blocked person, or one who withdrew biometric consent, must leave the gallery now.
        if (change.data.status === 'blocked') purged.add(change.data.id);
        else if (!change.data.biometricConsent) this.dropTemplatesOf(change.data.id, delta);
        break;
      case 'credential': {
        const previous = this.credentialKeyById.get(change.data.id);
        if (previous !== undefined) s.credentials.delete(previous);
        const key = credentialKey(change.data.kind, change.data.value);
        s.credentials.set(key, change.data);
        this.credentialKeyById.set(change.data.id, key);
        break;
      }
      case 'template':
        s.templates = s.templates.filter((t) => t.id !== change.data.id);
        s.templates.push(change.data);
        delta.added.push(change.data);
        break;
      case 'schedule':
        s.schedules = [...s.schedules.filter((x) => x.id !== change.data.id), change.data];
        break;
      case 'holiday':
        s.holidays.add(change.data.date);
        break;
      case 'setting':
        s.settings.set(change.data.key, change.data.value);
        break;
    }
  }

  private applyDelete(type: RosterChange['type'], id: string, delta: TemplateDelta, purged: Set<string>): void {
    const s = this.snapshot;
    switch (type) {
      case 'person':
        s.people.delete(id);
        for (const [key, credential] of s.credentials) {
          if (credential.personId === id) {
            s.credentials.delete(key);
            this.credentialKeyById.delete(credential.id);
          }
        }
        purged.add(id);
        break;
      case 'credential': {
        const key = this.credentialKeyById.get(id);
        if (key !== undefined) s.credentials.delete(key);
        this.credentialKeyById.delete(id);
        break;
      }
      case 'template':
        if (s.templates.some((t) => t.id === id)) {
          s.templates = s.templates.filter((t) => t.id !== id);
          delta.removed.push(id);
        }
        break;
      case 'schedule':
        s.schedules = s.schedules.filter((x) => x.id !== id);
        break;
      case 'holiday':
        // Holidays are keyed by date: the id of a holiday is its date.
        s.holidays.delete(id);
        break;
      case 'setting':
        s.settings.delete(id);
        break;
    }
  }

  private dropTemplatesOf(personId: string, delta: TemplateDelta): void {
    const keep: TemplateRecord[] = [];
    for (const template of this.snapshot.templates) {
      if (template.personId === personId) delta.removed.push(template.id);
      else keep.push(template);
    }
    this.snapshot.templates = keep;
  }
}
