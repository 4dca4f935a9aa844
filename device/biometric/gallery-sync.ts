// Keeps the in-memory galleries (face matcher, palm identifier) equal to the roster cache's
// templates, minus everything that may not be used: people without biometric consent, blocked or
// unknown people, and templates of another model (kept on disk, unused until re-enrolment). The
// roster cache emits 'templates' deltas and 'purged' person ids after each applied page, so a
// deletion leaves memory within that same page, without a reload and without pausing the matcher.
import type { Logger } from 'pino';
import { TemplateMismatchError, type FlatTemplateMatcher } from '../../biometric/index.js';
import type { TemplateRecord } from '../../sync/store/index.js';
import type { RosterCache, TemplateDelta } from '../roster-cache.js';

export interface GalleryCounts {
  /** Templates in the matcher. */
  loaded: number;
  people: number;
  /** Templates of another algo or length: kept in the store, not used. */
  unusedModel: number;
  /** Templates skipped because the person has no biometric consent, is blocked or unknown. */
  skippedConsent: number;
}

interface Unused {
  reason: 'model' | 'consent';
  modality: TemplateRecord['modality'];
}

export class GallerySync {
  private readonly log: Logger;
  /** template id -> why it is not in its matcher, so the counts follow later removals. */
  private readonly unused = new Map<string, Unused>();
  private readonly onTemplates = (delta: TemplateDelta): void => this.applyDelta(delta);
  private readonly onPurged = (personIds: string[]): void => this.purge(personIds);
  private attached = false;

  constructor(
    private readonly roster: RosterCache,
    private readonly matchers: ReadonlyMap<TemplateRecord['modality'], FlatTemplateMatcher>,
    logger: Logger,
  ) {
    this.log = logger.child({ ns: 'gallery' });
  }

  /** Loads every current template, then follows the roster live. */
  start(): void {
    if (this.attached) return;
    for (const template of this.roster.roster.templates) this.add(template);
    this.roster.on('templates', this.onTemplates);
    this.roster.on('purged', this.onPurged);
    this.attached = true;
    this.log.info({ counts: this.counts() }, 'galleries loaded');
  }

  stop(): void {
    this.roster.off('templates', this.onTemplates);
    this.roster.off('purged', this.onPurged);
    this.attached = false;
  }

  counts(): Record<string, GalleryCounts> {
    const out: Record<string, GalleryCounts> = {};
    for (const [modality, matcher] of this.matchers) {
      out[modality] = { loaded: matcher.size(), people: matcher.personCount(), unusedModel: 0, skippedConsent: 0 };
    }
    for (const { reason, modality } of this.unused.values()) {
      const counts = (out[modality] ??= { loaded: 0, people: 0, unusedModel: 0, skippedConsent: 0 });
      if (reason === 'model') counts.unusedModel++;
      else counts.skippedConsent++;
    }
    return out;
  }

  private usable(template: TemplateRecord): boolean {
    const person = this.roster.person(template.personId);
    return person !== undefined && person.biometricConsent && person.status !== 'blocked';
  }

  private markUnused(template: TemplateRecord, reason: Unused['reason']): void {
    this.unused.set(template.id, { reason, modality: template.modality });
  }

  private add(template: TemplateRecord): void {
    const matcher = this.matchers.get(template.modality);
    this.forgetUnused(template.id);
    if (!this.usable(template)) {
      // A replaced template whose person lost consent must leave the matcher too.
      matcher?.remove(template.id);
      this.markUnused(template, 'consent');
      return;
    }
    if (matcher === undefined) {
      this.markUnused(template, 'model');
      return;
    }
    try {
      matcher.upsert({ ...template });
    } catch (error) {
      if (!(error instanceof TemplateMismatchError)) throw error;
      matcher.remove(template.id);
      this.markUnused(template, 'model');
      this.log.debug({ template: template.id, reason: error.reason }, 'template kept but unused');
    }
  }

  private forgetUnused(templateId: string): void {
    this.unused.delete(templateId);
  }

  private applyDelta(delta: TemplateDelta): void {
    for (const id of delta.removed) {
      for (const matcher of this.matchers.values()) matcher.remove(id);
      this.forgetUnused(id);
    }
    for (const template of delta.added) this.add(template);
  }

  private purge(personIds: readonly string[]): void {
    let removed = 0;
    for (const personId of personIds) {
      for (const matcher of this.matchers.values()) removed += matcher.removePerson(personId);
    }
    if (removed > 0) this.log.info({ people: personIds.length, templates: removed }, 'purged from galleries');
  }
}
