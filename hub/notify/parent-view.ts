// The parents' page as HTML, server-rendered, mobile first, no script (the CSP allows none). It shows a
// child's first name, today's passages (time, door, direction), the consents with a withdraw button,
// a data request button and the guardian's quiet hours; never an ИИН, a photo, a class or classmates.
import type { Language, QuietHours } from './model.js';
import { pageWords, PURPOSES, type PageWords, type Purpose } from './parent-words.js';

export interface ChildView {
  personId: string;
  firstName: string;
  passages: Array<{ time: string; door: string | null; direction: 'in' | 'out' }>;
  consents: Record<Purpose, boolean>;
  /** Books on loan now; null when the hub serves no library. */
  loans: Array<{ title: string; dueDate: string | null }> | null;
  /** Today's meals served by the canteen (period, free or the charge in tiyn); null when the hub serves no canteen. */
  meals: Array<{ period: string; free: boolean; chargeTiyn: number }> | null;
}

export type Flash = { kind: 'withdrawn' } | { kind: 'requested'; deadline: string } | { kind: 'quiet' };

export interface PageView {
  language: Language;
  /** The page's own path (/parent/<token>): forms post under it. */
  path: string;
  formToken: string;
  children: ChildView[];
  quiet: QuietHours | null;
  flash: Flash | null;
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function esc(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);
}

export const PARENT_CSS = `
*{box-sizing:border-box}body{margin:0;font:16px/1.45 system-ui,sans-serif;color:#1b1f24;background:#f4f6f8}
header{background:#0b5cab;color:#fff;padding:12px 16px}header h1{margin:0;font-size:1.25rem}
main{padding:12px;max-width:40rem;margin:0 auto}section.child{background:#fff;border-radius:12px;padding:12px 14px;margin:0 0 14px;box-shadow:0 1px 3px #0002}
h2{margin:.2rem 0 .6rem;font-size:1.2rem}h3{margin:.9rem 0 .4rem;font-size:1rem;color:#44505c}
table{width:100%;border-collapse:collapse}th,td{text-align:left;padding:6px 4px;border-bottom:1px solid #e3e7eb}
ul.consents{list-style:none;margin:0;padding:0}ul.consents li{display:flex;justify-content:space-between;align-items:center;gap:8px;padding:6px 0;border-bottom:1px solid #e3e7eb}
.state{font-size:.85rem;color:#44505c}button{font:inherit;min-height:44px;padding:8px 14px;border-radius:8px;border:1px solid #0b5cab;background:#fff;color:#0b5cab}
button.primary{background:#0b5cab;color:#fff;width:100%}p.flash{background:#e5f4e8;border-radius:8px;padding:10px}p.error{background:#fde8e8;border-radius:8px;padding:10px}
.muted{color:#6a7580}form.quiet{display:flex;flex-wrap:wrap;gap:8px;align-items:end}form.quiet label{display:flex;flex-direction:column;font-size:.85rem}
input[type=time]{font:inherit;min-height:44px;padding:6px}
`;

function layout(language: Language, title: string, body: string): string {
  return `<!doctype html><html lang="${language}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="same-origin"><title>${esc(title)}</title><link rel="stylesheet" href="/parent/static/parent.css"></head>
<body><header><h1>${esc(title)}</h1></header><main>${body}</main></body></html>`;
}

/** A refusal (expired or unknown link, a bad form): says what happened and shows no data. */
export function refusalPage(language: Language, message: string): string {
  return layout(language, pageWords(language).title, `<p class="error" role="alert">${esc(message)}</p>`);
}

function hidden(view: PageView, child: string): string {
  return `<input type="hidden" name="form" value="${esc(view.formToken)}"><input type="hidden" name="child" value="${esc(child)}">`;
}

function passagesHtml(child: ChildView, words: PageWords): string {
  if (child.passages.length === 0) return `<p class="muted">${esc(words.noPassages)}</p>`;
  const rows = child.passages.map((p) => `<tr data-direction="${p.direction}"><td>${esc(p.time)}</td><td>${esc(p.door ?? '—')}</td><td>${esc(p.direction === 'in' ? words.in : words.out)}</td></tr>`);
  return `<table class="passages"><thead><tr><th>${esc(words.time)}</th><th>${esc(words.door)}</th><th>${esc(words.direction)}</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function consentsHtml(view: PageView, child: ChildView, words: PageWords): string {
  const items = PURPOSES.map((purpose) => {
    const held = child.consents[purpose];
    const action = held
      ? `<form method="post" action="${esc(view.path)}/withdraw">${hidden(view, child.personId)}<input type="hidden" name="purpose" value="${purpose}"><button type="submit">${esc(words.withdraw)}</button></form>`
      : '';
    return `<li data-purpose="${purpose}" data-held="${held}"><span>${esc(words.purpose[purpose])}<br><span class="state">${esc(held ? words.given : words.withdrawn)}</span></span>${action}</li>`;
  });
  return `<ul class="consents">${items.join('')}</ul>`;
}

function childHtml(view: PageView, child: ChildView, words: PageWords): string {
  return `<section class="child" data-child="${esc(child.personId)}"><h2>${esc(child.firstName)}</h2>
<h3>${esc(words.today)}</h3>${passagesHtml(child, words)}
<h3>${esc(words.consents)}</h3>${consentsHtml(view, child, words)}
<h3>${esc(words.data)}</h3><form method="post" action="${esc(view.path)}/data-request">${hidden(view, child.personId)}<button type="submit" class="primary">${esc(words.requestData)}</button></form>
<h3>${esc(words.meals)}</h3>${mealsHtml(child, words)}
<h3>${esc(words.loans)}</h3>${loansHtml(child, words)}</section>`;
}

function mealsHtml(child: ChildView, words: PageWords): string {
  if (child.meals === null) return `<p class="muted">${esc(words.notYet)}</p>`;
  if (child.meals.length === 0) return `<p class="muted">${esc(words.noMeals)}</p>`;
  const items = child.meals.map((meal) => `<li>${esc(meal.period)} <span class="state">${esc(meal.free ? words.free : words.paid((meal.chargeTiyn / 100).toFixed(2)))}</span></li>`);
  return `<ul class="meals">${items.join('')}</ul>`;
}

function loansHtml(child: ChildView, words: PageWords): string {
  if (child.loans === null) return `<p class="muted">${esc(words.notYet)}</p>`;
  if (child.loans.length === 0) return `<p class="muted">${esc(words.noLoans)}</p>`;
  const items = child.loans.map((loan) => `<li>${esc(loan.title)}${loan.dueDate ? ` <span class="state">${esc(words.due(loan.dueDate))}</span>` : ''}</li>`);
  return `<ul class="loans">${items.join('')}</ul>`;
}

function quietHtml(view: PageView, words: PageWords): string {
  const token = `<input type="hidden" name="form" value="${esc(view.formToken)}">`;
  return `<section class="child" id="quiet"><h2>${esc(words.quiet)}</h2><p class="muted">${esc(words.quietHelp)}</p>
<form class="quiet" method="post" action="${esc(view.path)}/quiet">${token}
<label>${esc(words.quietFrom)}<input type="time" name="start" required value="${esc(view.quiet?.start ?? '')}"></label>
<label>${esc(words.quietTo)}<input type="time" name="end" required value="${esc(view.quiet?.end ?? '')}"></label>
<button type="submit">${esc(words.save)}</button></form>
${view.quiet ? `<form method="post" action="${esc(view.path)}/quiet">${token}<input type="hidden" name="off" value="1"><button type="submit">${esc(words.off)}</button></form>` : `<p class="muted">${esc(words.quietNone)}</p>`}</section>`;
}

function flashHtml(flash: Flash | null, words: PageWords): string {
  if (!flash) return '';
  const text = flash.kind === 'withdrawn' ? words.withdrawDone : flash.kind === 'quiet' ? words.quietSaved : words.requested(flash.deadline);
  return `<p class="flash" role="status">${esc(text)}</p>`;
}

export function parentPage(view: PageView): string {
  const words = pageWords(view.language);
  const body = flashHtml(view.flash, words) + view.children.map((child) => childHtml(view, child, words)).join('') + quietHtml(view, words);
  return layout(view.language, words.title, body);
}
