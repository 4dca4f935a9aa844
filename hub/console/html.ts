// Server-rendered pages: one layout, escaped text, no inline script (the CSP allows none) and one
// stylesheet. Pages work without JavaScript; forms post with a CSRF token in a hidden field.
import { LANGUAGES, type Catalog, type Language } from './messages.js';

export function esc(value: string | number | null | undefined): string {
  return String(value ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A fragment already escaped by the caller (built from esc()'d parts). */
export interface Html {
  readonly html: string;
}

export function raw(html: string): Html {
  return { html };
}

export interface NavItem {
  href: string;
  label: string;
}

export interface LayoutInput {
  lang: Language;
  t: Catalog;
  title: string;
  /** The page's own path, to come back to after a language switch. */
  path: string;
  user: { displayName: string; role: string } | null;
  nav: readonly NavItem[];
  csrfToken: string | null;
  body: Html;
}

function languageSwitch(input: LayoutInput): string {
  const links = LANGUAGES.map((code) =>
    code === input.lang ? `<strong lang="${code}">${code.toUpperCase()}</strong>` : `<a lang="${code}" href="/console/lang?to=${code}&amp;back=${encodeURIComponent(input.path)}">${code.toUpperCase()}</a>`,
  ).join(' ');
  return `<nav class="langs" aria-label="${esc(input.t.language)}">${links}</nav>`;
}

function header(input: LayoutInput): string {
  const nav = input.nav.map((item) => `<a href="${esc(item.href)}">${esc(item.label)}</a>`).join('');
  const user = input.user && input.csrfToken
    ? `<form method="post" action="/console/logout" class="logout"><span>${esc(input.user.displayName)} (${esc(input.user.role)})</span>` +
      `<input type="hidden" name="_csrf" value="${esc(input.csrfToken)}"><button type="submit">${esc(input.t.logout)}</button></form>`
    : '';
  return `<header><h1>${esc(input.t.title)}</h1>${nav ? `<nav class="main">${nav}</nav>` : ''}${user}${languageSwitch(input)}</header>`;
}

export function layout(input: LayoutInput): string {
  return `<!doctype html>
<html lang="${input.lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(input.title)} · ${esc(input.t.title)}</title><link rel="stylesheet" href="/console/static/console.css"></head>
<body>${header(input)}<main id="main"><h2>${esc(input.title)}</h2>${input.body.html}</main></body></html>`;
}

export const CONSOLE_CSS = `
:root { color-scheme: light; font-family: system-ui, "Noto Sans", "DejaVu Sans", sans-serif; }
body { margin: 0; background: #f6f7f9; color: #1b1f24; }
header { display: flex; flex-wrap: wrap; gap: .75rem 1.5rem; align-items: center; padding: .75rem 1rem; background: #123a5a; color: #fff; }
header h1 { font-size: 1.1rem; margin: 0; }
header a { color: #fff; }
nav.main { display: flex; gap: 1rem; flex-wrap: wrap; }
.logout { display: flex; gap: .5rem; align-items: center; margin-left: auto; }
main { padding: 1rem; max-width: 60rem; margin: 0 auto; }
table { border-collapse: collapse; width: 100%; background: #fff; }
th, td { text-align: left; padding: .45rem .6rem; border-bottom: 1px solid #d8dde3; }
th { background: #e9edf2; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
.present { color: #176b2c; } .late { color: #8a5a00; } .absent { color: #a4161a; }
form.card { display: grid; gap: .6rem; max-width: 22rem; background: #fff; padding: 1rem; border: 1px solid #d8dde3; border-radius: 6px; }
label { display: grid; gap: .2rem; font-weight: 600; }
input, select, button { font: inherit; padding: .45rem .6rem; }
button { cursor: pointer; background: #123a5a; color: #fff; border: 0; border-radius: 4px; }
label.check { display: flex; gap: .5rem; align-items: center; font-weight: 400; }
form.inline { display: inline; } form.inline button { padding: .2rem .5rem; }
table + form.card, p + form.card { margin-top: 1rem; } .phone { white-space: nowrap; }
.error { color: #a4161a; font-weight: 600; } .notice { color: #176b2c; font-weight: 600; }
tr.overdue td { background: #fde8e8; } .overdue-flag { color: #a4161a; } ul.acks { margin: 0; padding-left: 1rem; }
@media (max-width: 40rem) { header { flex-direction: column; align-items: flex-start; } .logout { margin-left: 0; } th, td { padding: .35rem .3rem; } }
`;
