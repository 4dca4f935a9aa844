// The photo enrolment page of one person: /console/people/:id/photos. A director enrols anyone, a
// class teacher the pupils of their own class (roles.ts, canEnrol), nobody else; the check runs in
// onRequest, before a byte of the upload is read, and so does the one-enrolment-at-a-time slot
// (429 while another is computed). @fastify/multipart lives in a child scope holding only this route
// and keeps each file in memory (attachFieldsToBody buffers parts with toBuffer(); nothing calls
// saveRequestFiles, the one path that writes temp files), bounded to 5 files of 4 MB. The bytes go
// to the face engine and are dropped with the request; only templates and an audit record remain.
import multipart from '@fastify/multipart';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { HubError } from '../errors.js';
import { accountOf, audit, languageOf, sendPage, type ConsoleContext } from './context.js';
import { enrolCatalog, reasonText, type EnrolCatalog } from './enrol-messages.js';
import { MAX_PHOTO_BYTES, MAX_PHOTOS, type EnrolmentOutcome, type EnrolSubject, type PhotoVerdict } from './enrolment.js';
import { esc, raw } from './html.js';
import { canEnrol } from './roles.js';

const idParams = z.object({ id: z.string().regex(/^[A-Za-z0-9._:-]{1,64}$/) });
const uploadBody = z.object({ photos: z.union([z.instanceof(Buffer), z.array(z.instanceof(Buffer))]).optional() });

/** Requests holding the enrolment slot, so it is released once whichever way the request ends. */
const SLOT = Symbol('enrolment slot');
type SlotRequest = FastifyRequest & { [SLOT]?: boolean };

function te(request: FastifyRequest): EnrolCatalog {
  return enrolCatalog(languageOf(request));
}

/** The person, if this account may enrol them; 404 for no such person, 403 (audited) otherwise. */
async function permittedSubject(ctx: ConsoleContext, request: FastifyRequest, closeOnRefusal: boolean): Promise<EnrolSubject> {
  const parsed = idParams.safeParse(request.params);
  const subject = parsed.success ? await ctx.enrolment.subject(parsed.data.id) : null;
  const account = accountOf(request);
  // A 404 only to whoever could enrol someone: others learn nothing about which ids exist.
  if (subject !== null && canEnrol(account, subject.group)) return subject;
  const headers: Record<string, string> = closeOnRefusal ? { connection: 'close' } : {};
  if (subject === null && canEnrol(account, account.className)) throw new HubError(404, 'not_found', 'no such person', headers);
  await audit(ctx, request, 'denied', parsed.success ? `person:${parsed.data.id}` : null, { path: request.url.split('?')[0] });
  throw new HubError(403, 'forbidden', 'forbidden', headers);
}

function uploadForm(t: EnrolCatalog, reply: FastifyReply, subject: EnrolSubject): string {
  // The CSRF token is a field of the multipart body: checked in preHandler, once the bounded upload is in.
  return (
    `<form method="post" action="/console/people/${esc(subject.id)}/photos" enctype="multipart/form-data" class="card" id="photos-form">` +
    `<input type="hidden" name="_csrf" value="${esc(reply.generateCsrf())}">` +
    `<p>${esc(t.intro)}</p>` +
    `<label>${esc(t.choose)}<input type="file" name="photos" accept="image/jpeg,image/png" multiple required></label>` +
    `<button type="submit">${esc(t.enrol)}</button></form>`
  );
}

function refusalText(t: EnrolCatalog, refusal: 'no_consent' | 'not_active' | 'engine_unavailable'): string {
  return refusal === 'no_consent' ? t.noConsent : refusal === 'not_active' ? t.notActive : t.engineDown;
}

function verdictList(t: EnrolCatalog, verdicts: readonly PhotoVerdict[]): string {
  const items = verdicts.map((v) =>
    v.ok
      ? `<li data-photo="${v.index}" data-ok="true">${esc(t.photo)} ${v.index}: ${esc(t.accepted)}</li>`
      : `<li data-photo="${v.index}" data-ok="false" data-reason="${esc(v.reason)}">${esc(t.photo)} ${v.index}: ${esc(reasonText(t, v.reason))}</li>`,
  );
  return `<ol id="photo-results">${items.join('')}</ol>`;
}

async function showForm(ctx: ConsoleContext, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const subject = await permittedSubject(ctx, request, false);
  const t = te(request);
  const refusal = ctx.enrolment.refusal(subject);
  await audit(ctx, request, 'view.person.photos', `person:${subject.id}`);
  const body = refusal === null ? uploadForm(t, reply, subject) : `<p class="error" role="alert" id="enrol-refused" data-reason="${refusal}">${esc(refusalText(t, refusal))}</p>`;
  return sendPage(request, reply, `${t.photos}: ${subject.name}`, raw(body));
}

function summary(t: EnrolCatalog, outcome: Extract<EnrolmentOutcome, { ok: true }>): string {
  const n = outcome.templateIds.length;
  const text = n > 0 ? t.enrolled.replace('{n}', String(n)).replace('{m}', String(outcome.verdicts.length)) : t.noneEnrolled;
  return `<p class="${n > 0 ? 'notice' : 'error'}" role="status" id="enrol-done" data-enrolled="${n}" data-photos="${outcome.verdicts.length}">${esc(text)}</p>`;
}

async function enrolUpload(ctx: ConsoleContext, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const subject = await permittedSubject(ctx, request, false);
  const t = te(request);
  const parsed = uploadBody.safeParse(request.body);
  // The parsed body is the only reference to the photos left here: dropped from the request at once.
  request.body = undefined;
  const given = parsed.success ? parsed.data.photos : undefined;
  const photos = (given === undefined ? [] : Array.isArray(given) ? given : [given]).filter((b) => b.length > 0);
  const page = (html: string, status: number, form: boolean): FastifyReply => sendPage(request, reply, `${t.photos}: ${subject.name}`, raw(html + (form ? uploadForm(t, reply, subject) : '')), status);
  if (photos.length === 0) return page(`<p class="error" role="alert">${esc(t.noPhotos)}</p>`, 400, true);
  const outcome = await ctx.enrolment.enrol(subject, photos);
  if (!outcome.ok) {
    await audit(ctx, request, 'person.enrol.refused', `person:${subject.id}`, { reason: outcome.refusal, photos: photos.length });
    const status = outcome.refusal === 'engine_unavailable' ? 503 : 403;
    return page(`<p class="error" role="alert" id="enrol-refused" data-reason="${outcome.refusal}">${esc(refusalText(t, outcome.refusal))}</p>`, status, false);
  }
  const refused = outcome.verdicts.flatMap((v) => (v.ok ? [] : [{ photo: v.index, reason: v.reason }]));
  await audit(ctx, request, 'person.enrol', `person:${subject.id}`, { photos: outcome.verdicts.length, templates: outcome.templateIds.length, templateIds: outcome.templateIds, refused, algo: outcome.algo, cursor: outcome.cursor });
  return page(summary(t, outcome) + verdictList(t, outcome.verdicts), outcome.templateIds.length > 0 ? 200 : 422, true);
}

/** onRequest of the upload: permission, then the one slot, before the body is read. */
async function admitUpload(ctx: ConsoleContext, request: SlotRequest): Promise<void> {
  await permittedSubject(ctx, request, true);
  if (!ctx.enrolment.tryAcquire()) throw new HubError(429, 'busy', te(request).busy, { connection: 'close', 'retry-after': '5' });
  request[SLOT] = true;
}

function releaseSlot(ctx: ConsoleContext, request: SlotRequest): void {
  if (request[SLOT] !== true) return;
  request[SLOT] = false;
  ctx.enrolment.release();
}

export async function registerEnrolPage(scope: FastifyInstance, ctx: ConsoleContext): Promise<void> {
  scope.get('/people/:id/photos', (request, reply) => showForm(ctx, request, reply));
  await scope.register(async (upload) => {
    await upload.register(multipart, { attachFieldsToBody: 'keyValues', limits: { fileSize: MAX_PHOTO_BYTES, files: MAX_PHOTOS, fields: 2, parts: MAX_PHOTOS + 2, fieldSize: 1024 } });
    upload.addHook('onRequest', (request) => admitUpload(ctx, request));
    upload.addHook('onResponse', (request, _reply, done) => {
      releaseSlot(ctx, request);
      done();
    });
    upload.addHook('onRequestAbort', (request, done) => {
      releaseSlot(ctx, request);
      done();
    });
    upload.post('/people/:id/photos', { bodyLimit: MAX_PHOTOS * MAX_PHOTO_BYTES + 64 * 1024 }, (request, reply) => enrolUpload(ctx, request, reply));
  });
}
