// GET /console/classes/:group/register?month=YYYY-MM&format=csv|xlsx: the class's monthly register
// (register.ts) as a download. The same rule as the class page (a director, or the class's own
// teacher; 403 otherwise, audited as a denial), and an audit record for every export.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { HubError } from '../errors.js';
import { accountOf, audit, textsOf, type ConsoleContext } from './context.js';
import { forbid } from './pages.js';
import { tp } from './people-pages.js';
import { buildRegister, monthBounds, registerCsv, registerXlsx, type Register, type RegisterLabels } from './register.js';
import { canSeeClass } from './roles.js';

const registerQuery = z.object({ month: z.string().max(7), format: z.enum(['csv', 'xlsx']).default('xlsx') });
const groupParams = z.object({ group: z.string().min(1).max(64) });

function labelsOf(request: FastifyRequest): RegisterLabels {
  const t = textsOf(request);
  const p = tp(request);
  return { pupil: t.pupil, present: t.present, late: t.late, absent: t.absent, marks: { present: p.markPresent, late: p.markLate, absent: p.markAbsent } };
}

/**
 * A class's register for `month` ('YYYY-MM'), as the export and the chart both read it: 400 for a bad
 * month, 404 for a class with no pupils. The caller has checked who may see the class.
 */
export async function loadRegister(ctx: ConsoleContext, group: string, month: string): Promise<Register> {
  const bounds = monthBounds(month, ctx.day);
  if (!bounds) throw new HubError(400, 'invalid_query', 'month=YYYY-MM');
  const people = await ctx.store.rosterPeople();
  const pupils = people.filter((p) => p.role === 'student' && p.group === group).sort((a, b) => a.name.localeCompare(b.name, 'kk'));
  if (pupils.length === 0) throw new HubError(404, 'not_found', 'no such class');
  const ids = new Set(pupils.map((p) => p.id));
  const arrivals = (await ctx.store.dailyFirstArrivals(bounds.fromMs, bounds.toMs, ctx.day.utcOffsetMinutes * 60_000)).filter((a) => ids.has(a.personId));
  return buildRegister({ group, month, bounds, pupils, arrivals, day: ctx.day, nowMs: ctx.now() });
}

async function exportRegister(ctx: ConsoleContext, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const { group } = groupParams.parse(request.params);
  const subject = `class:${group}`;
  if (!canSeeClass(accountOf(request), group)) await forbid(ctx, request, subject);
  const query = registerQuery.safeParse(request.query);
  if (!query.success) throw new HubError(400, 'invalid_query', 'month=YYYY-MM and format=csv|xlsx');
  const register = await loadRegister(ctx, group, query.data.month);
  const pupils = register.rows;
  await audit(ctx, request, 'register.export', subject, { month: query.data.month, format: query.data.format, pupils: pupils.length });
  const name = `register-${group}-${query.data.month}.${query.data.format}`;
  // The class name may be Cyrillic: an ASCII fallback and the UTF-8 name (RFC 6266).
  void reply.header('content-disposition', `attachment; filename="${name.replace(/[^A-Za-z0-9._-]/g, '_')}"; filename*=UTF-8''${encodeURIComponent(name)}`).header('cache-control', 'no-store');
  if (query.data.format === 'csv') return reply.type('text/csv; charset=utf-8').send(registerCsv(register, labelsOf(request)));
  return reply.type('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet').send(await registerXlsx(register, labelsOf(request)));
}

export function registerRegisterRoute(scope: FastifyInstance, ctx: ConsoleContext): void {
  scope.get('/classes/:group/register', (request, reply) => exportRegister(ctx, request, reply));
}
