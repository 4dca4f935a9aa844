// The month's attendance as a picture (issue 17: "for people who would rather look than read"):
// per school day of a class's register, how many pupils were present, late and absent, drawn as
// stacked bars in inline SVG on the server. No script and no external asset, so the console's CSP
// (script-src 'none', default-src 'self') holds; colours are SVG presentation attributes, which
// CSP's style rules do not govern (a style="" attribute would be refused). Pure.
import type { Mark } from './attendance.js';
import { esc } from './html.js';
import type { Register } from './register.js';

export interface DayCount {
  /** Day of the month, 1-based. */
  day: number;
  present: number;
  late: number;
  absent: number;
}

/**
 * The register's columns summed: a day every cell of which is blank (a weekend nobody came in on, a
 * day still to come) is no school day and is left out.
 */
export function dayCounts(register: Register): DayCount[] {
  const counts: DayCount[] = [];
  for (let d = 0; d < register.days; d++) {
    const marks = register.rows.map((r) => r.marks[d] ?? null);
    if (marks.every((m) => m === null)) continue;
    const count = (mark: Mark): number => marks.filter((m) => m === mark).length;
    counts.push({ day: d + 1, present: count('present'), late: count('late'), absent: count('absent') });
  }
  return counts;
}

export interface ChartLabels {
  title: string;
  desc: string;
  day: string;
  marks: Record<Mark, string>;
}

const FILL: Record<Mark, string> = { present: '#2e8b57', late: '#d99a00', absent: '#c0392b' };
const ORDER: readonly Mark[] = ['present', 'late', 'absent'];
const BAR = 18;
const GAP = 8;
const PLOT_HEIGHT = 200;
const LEFT = 32;
const TOP = 28;

function yAxis(max: number): string {
  const ticks = [0, Math.ceil(max / 2), max].filter((v, i, all) => all.indexOf(v) === i);
  return ticks
    .map((v) => {
      const y = TOP + PLOT_HEIGHT - (v / max) * PLOT_HEIGHT;
      return `<line x1="${LEFT - 4}" x2="${LEFT}" y1="${y}" y2="${y}" stroke="#555"/><text x="${LEFT - 6}" y="${y + 4}" text-anchor="end" font-size="11">${v}</text>`;
    })
    .join('');
}

function bar(count: DayCount, index: number, max: number, labels: ChartLabels): string {
  const x = LEFT + GAP + index * (BAR + GAP);
  let y = TOP + PLOT_HEIGHT;
  const label = `${labels.day} ${count.day}: ${ORDER.map((m) => `${labels.marks[m]} ${count[m]}`).join(', ')}`;
  const rects = ORDER.map((mark) => {
    const h = (count[mark] / max) * PLOT_HEIGHT;
    y -= h;
    return h > 0 ? `<rect x="${x}" y="${y.toFixed(2)}" width="${BAR}" height="${h.toFixed(2)}" fill="${FILL[mark]}" data-mark="${mark}" data-count="${count[mark]}"/>` : '';
  }).join('');
  const tick = `<text x="${x + BAR / 2}" y="${TOP + PLOT_HEIGHT + 14}" text-anchor="middle" font-size="11">${count.day}</text>`;
  return `<g role="img" aria-label="${esc(label)}" data-day="${count.day}"><title>${esc(label)}</title>${rects}${tick}</g>`;
}

function legend(labels: ChartLabels): string {
  return ORDER.map((mark, i) => {
    const x = LEFT + i * 110;
    return `<rect x="${x}" y="6" width="12" height="12" fill="${FILL[mark]}"/><text x="${x + 16}" y="16" font-size="12">${esc(labels.marks[mark])}</text>`;
  }).join('');
}

/** Stacked bars, one per school day; the numbers are each bar's accessible name and title. */
export function chartSvg(counts: readonly DayCount[], labels: ChartLabels): string {
  const max = Math.max(1, ...counts.map((c) => c.present + c.late + c.absent));
  const width = LEFT + GAP + Math.max(1, counts.length) * (BAR + GAP);
  const height = TOP + PLOT_HEIGHT + 22;
  const axis = `<line x1="${LEFT}" x2="${width}" y1="${TOP + PLOT_HEIGHT}" y2="${TOP + PLOT_HEIGHT}" stroke="#555"/><line x1="${LEFT}" x2="${LEFT}" y1="${TOP}" y2="${TOP + PLOT_HEIGHT}" stroke="#555"/>`;
  return (
    `<svg id="chart" xmlns="http://www.w3.org/2000/svg" role="img" aria-labelledby="chart-title chart-desc" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}">` +
    `<title id="chart-title">${esc(labels.title)}</title><desc id="chart-desc">${esc(labels.desc)}</desc>` +
    `${legend(labels)}${yAxis(max)}${axis}${counts.map((c, i) => bar(c, i, max, labels)).join('')}</svg>`
  );
}

/** The same numbers as a table, for a screen reader, a copy into a spreadsheet, or a test. */
export function chartTable(counts: readonly DayCount[], labels: ChartLabels): string {
  const head = `<tr><th scope="col">${esc(labels.day)}</th>${ORDER.map((m) => `<th scope="col" class="num">${esc(labels.marks[m])}</th>`).join('')}</tr>`;
  const body = counts.map((c) => `<tr data-day="${c.day}"><th scope="row">${c.day}</th>${ORDER.map((m) => `<td class="num ${m}">${c[m]}</td>`).join('')}</tr>`).join('');
  return `<table id="chart-table"><caption>${esc(labels.desc)}</caption><thead>${head}</thead><tbody>${body}</tbody></table>`;
}
