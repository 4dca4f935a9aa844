// GET /console/classes/:group/chart?month=YYYY-MM: the month's attendance of one class as a chart
// (chart.ts) with its numbers as a table, from the very register the табель export reads
// (loadRegister), so the picture and the spreadsheet cannot disagree. The class page's rule: a
// director, or the class's own teacher; anyone else 403, audited as a denial.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { HubError } from '../errors.js';
import { chartSvg, chartTable, dayCounts, type ChartLabels } from './chart.js';
import { accountOf, audit, languageOf, sendPage, textsOf, type ConsoleContext } from './context.js';
import { esc, raw } from './html.js';
import { insightCatalog, type InsightCatalog } from './insight-messages.js';
import { forbid } from './pages.js';
import { loadRegister } from './register-route.js';
import { canSeeClass } from './roles.js';

const chartQuery = z.object({ month: z.string().max(7).optional() });
const groupParams = z.object({ group: z.string().min(1).max(64) });

/** The words of the chart, staff and library pages in the reader's language. */
export function ti(request: FastifyRequest): InsightCatalog {
  return insightCatalog(languageOf(request));
}

/** 'YYYY-MM' of the school's local today. */
export function currentMonth(ctx: ConsoleContext): string {
  return new Date(ctx.now() + ctx.day.utcOffsetMinutes * 60_000).toISOString().slice(0, 7);
}

/** The month before or after 'YYYY-MM'. */
export function shiftMonth(month: string, by: number): string {
  const [year, index] = month.split('-').map(Number);
  const d = new Date(Date.UTC(year ?? 2000, (index ?? 1) - 1 + by, 1));
  return d.toISOString().slice(0, 7);
}

function labelsOf(request: FastifyRequest, group: string, month: string): ChartLabels {
  const t = textsOf(request);
  const i = ti(request);
  return { title: `${i.chart}: ${group}, ${month}`, desc: i.chartDesc.replace('{month}', month).replace('{group}', group), day: i.day, marks: { present: t.present, late: t.late, absent: t.absent } };
}

async function chartPage(ctx: ConsoleContext, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const { group } = groupParams.parse(request.params);
  const subject = `class:${group}`;
  if (!canSeeClass(accountOf(request), group)) await forbid(ctx, request, subject);
  const query = chartQuery.safeParse(request.query);
  if (!query.success) throw new HubError(400, 'invalid_query', 'month=YYYY-MM');
  const month = query.data.month ?? currentMonth(ctx);
  const register = await loadRegister(ctx, group, month);
  const counts = dayCounts(register);
  await audit(ctx, request, 'view.chart', subject, { month, days: counts.length });
  const i = ti(request);
  const labels = labelsOf(request, group, month);
  const base = `/console/classes/${encodeURIComponent(group)}`;
  const nav = `<p class="actions"><a id="chart-prev" href="${base}/chart?month=${shiftMonth(month, -1)}">${esc(i.previousMonth)}</a> · <a id="chart-next" href="${base}/chart?month=${shiftMonth(month, 1)}">${esc(i.nextMonth)}</a> · <a href="${base}/register?month=${month}&amp;format=xlsx">XLSX</a></p>`;
  const body = counts.length > 0 ? `<figure>${chartSvg(counts, labels)}</figure>${chartTable(counts, labels)}` : `<p>${esc(i.none)}</p>`;
  return sendPage(request, reply, labels.title, raw(nav + body));
}

export function registerChartPage(scope: FastifyInstance, ctx: ConsoleContext): void {
  scope.get('/classes/:group/chart', (request, reply) => chartPage(ctx, request, reply));
}
