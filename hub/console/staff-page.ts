// Staff attendance pages (staff.ts): GET /console/staff (today: came in, first in, last out) and
// GET /console/staff/month?month=YYYY-MM&format=html|csv (days in per person, each day's times; the
// CSV one line per person per day). The director's only (capability staff.attendance): an
// employee's hours are not a class teacher's or a technician's to read. Every view and export is audited.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { dayBounds, localTime } from './attendance.js';
import { currentMonth, shiftMonth, ti } from './chart-page.js';
import { audit, sendPage, type ConsoleContext } from './context.js';
import { HubError } from '../errors.js';
import { esc, raw } from './html.js';
import type { InsightCatalog } from './insight-messages.js';
import { requireCapability } from './pages.js';
import { monthBounds } from './register.js';
import { StaffAttendance, staffCsv, type StaffDay, type StaffMonthRow } from './staff.js';

const monthQuery = z.object({ month: z.string().max(7).optional(), format: z.enum(['html', 'csv']).default('html') });

function todayTable(days: readonly StaffDay[], i: InsightCatalog, ctx: ConsoleContext): string {
  const time = (ms: number | null): string => (ms === null ? '—' : esc(localTime(ms, ctx.day)));
  const body = days
    .map((d) => `<tr data-person="${esc(d.id)}" data-in="${d.firstInMs === null ? 'no' : 'yes'}"><td>${esc(d.name)}</td><td>${esc(d.firstInMs === null ? i.no : i.yes)}</td><td>${time(d.firstInMs)}</td><td>${time(d.lastOutMs)}</td></tr>`)
    .join('');
  return `<table id="staff-today"><thead><tr><th scope="col">${esc(i.employee)}</th><th scope="col">${esc(i.cameIn)}</th><th scope="col">${esc(i.firstIn)}</th><th scope="col">${esc(i.lastOut)}</th></tr></thead><tbody>${body}</tbody></table>`;
}

function monthTable(rows: readonly StaffMonthRow[], i: InsightCatalog, ctx: ConsoleContext): string {
  const span = (d: StaffDay): string => `${d.date.slice(8)}: ${d.firstInMs === null ? '—' : localTime(d.firstInMs, ctx.day)}–${d.lastOutMs === null ? '—' : localTime(d.lastOutMs, ctx.day)}`;
  const body = rows
    .map((r) => {
      const days = r.days.filter((d) => d.firstInMs !== null || d.lastOutMs !== null).map((d) => `<li data-date="${d.date}">${esc(span(d))}</li>`).join('');
      return `<tr data-person="${esc(r.id)}"><td>${esc(r.name)}</td><td class="num">${r.daysIn}</td><td><ul class="acks">${days}</ul></td></tr>`;
    })
    .join('');
  return `<table id="staff-month"><thead><tr><th scope="col">${esc(i.employee)}</th><th scope="col" class="num">${esc(i.daysIn)}</th><th scope="col">${esc(i.firstIn)}–${esc(i.lastOut)}</th></tr></thead><tbody>${body}</tbody></table>`;
}

async function todayPage(ctx: ConsoleContext, staff: StaffAttendance, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  await requireCapability(ctx, request, 'staff.attendance', 'staff');
  const i = ti(request);
  const { startMs, endMs } = dayBounds(ctx.now(), ctx.day);
  const days = await staff.days(startMs, endMs);
  await audit(ctx, request, 'view.staff', 'staff', { people: days.length });
  const links = `<p class="actions"><a id="staff-month-link" href="/console/staff/month?month=${currentMonth(ctx)}">${esc(i.staffMonth)}</a></p>`;
  return sendPage(request, reply, i.staffToday, raw(links + todayTable(days, i, ctx)));
}

async function monthPage(ctx: ConsoleContext, staff: StaffAttendance, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  await requireCapability(ctx, request, 'staff.attendance', 'staff');
  const query = monthQuery.safeParse(request.query);
  const month = query.success ? (query.data.month ?? currentMonth(ctx)) : '';
  const bounds = monthBounds(month, ctx.day);
  if (!query.success || !bounds) throw new HubError(400, 'invalid_query', 'month=YYYY-MM and format=html|csv');
  const i = ti(request);
  const rows = await staff.month(bounds);
  await audit(ctx, request, query.data.format === 'csv' ? 'staff.export' : 'view.staff', 'staff', { month, people: rows.length });
  if (query.data.format === 'csv') {
    const csv = staffCsv(rows.flatMap((r) => r.days), { employee: i.employee, date: i.day, firstIn: i.firstIn, lastOut: i.lastOut }, ctx.day);
    return reply.header('content-disposition', `attachment; filename="staff-${month}.csv"`).header('cache-control', 'no-store').type('text/csv; charset=utf-8').send(csv);
  }
  const base = '/console/staff/month?month=';
  const links = `<p class="actions"><a href="${base}${shiftMonth(month, -1)}">${esc(i.previousMonth)}</a> · <a href="${base}${shiftMonth(month, 1)}">${esc(i.nextMonth)}</a> · <a id="staff-csv" href="${base}${month}&amp;format=csv">CSV</a></p>`;
  return sendPage(request, reply, `${i.staffMonth}: ${month}`, raw(links + monthTable(rows, i, ctx)));
}

export function registerStaffPages(scope: FastifyInstance, ctx: ConsoleContext): void {
  const staff = new StaffAttendance(ctx.store, ctx.day);
  scope.get('/staff', (request, reply) => todayPage(ctx, staff, request, reply));
  scope.get('/staff/month', (request, reply) => monthPage(ctx, staff, request, reply));
}
