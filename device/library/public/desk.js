/* global document, fetch */
// The librarian's page: both scanners type into the focused field and end with Enter, so a scan
// submits the form; the last button pressed (Loan by default) says what to do.
'use strict';

const REASONS = {
  unknown_borrower: 'Card not known: present the borrower\'s card',
  borrower_inactive: 'This card is blocked',
  not_a_borrower: 'This person may not borrow',
  clock_untrusted: 'The desk\'s clock is not set: loans wait until it is',
  unknown_copy: 'This copy is not in the catalogue',
  copy_unavailable: 'This copy is withdrawn or lost',
  reading_room_only: 'Reading room only',
  already_on_loan: 'This copy is already on loan',
  not_on_loan: 'This copy is not on loan',
  not_borrowers_loan: 'On loan to someone else',
  overdue_loans: 'An overdue book must come back first',
  loan_limit: 'Loan limit reached',
  renewal_limit: 'Renewed as often as allowed',
  overdue_no_renewal: 'Overdue: bring the book back',
  bad_scan: 'Scan not read: scan again',
  scan_copy_label: 'That is the ISBN: scan the copy\'s own label',
};

let action = 'loan';
const $ = (id) => document.getElementById(id);

function fill(table, rows) {
  const body = $(table).querySelector('tbody');
  body.replaceChildren(...rows.map((cells) => {
    const tr = document.createElement('tr');
    for (const cell of cells) {
      const td = document.createElement('td');
      td.textContent = String(cell);
      tr.append(td);
    }
    return tr;
  }));
}

async function refresh() {
  const card = $('card').value.trim();
  if (card) {
    const answer = await (await fetch(`/library/api/loans?card=${encodeURIComponent(card)}`)).json();
    $('borrower').textContent = answer.borrower ? `(${answer.borrower})` : '';
    fill('loans', answer.loans.map((l) => [l.copyId, l.dueDate, l.renewals]));
  }
  const overdue = await (await fetch('/library/api/overdue')).json();
  fill('overdue', overdue.loans.map((l) => [l.copyId, l.borrowerId, l.dueDate]));
}

function show(answer) {
  const result = $('result');
  if (answer.outcome === 'refuse') {
    result.className = 'refused';
    result.textContent = REASONS[answer.reason] || answer.reason;
    return;
  }
  result.className = 'ok';
  if (answer.outcome === 'loan') result.textContent = `Lent until ${answer.dueDate}`;
  else if (answer.outcome === 'renew') result.textContent = `Renewed until ${answer.dueDate}`;
  else result.textContent = answer.overdueDays ? `Returned, ${answer.overdueDays} days late` : 'Returned';
}

for (const button of document.querySelectorAll('button[data-action]')) {
  button.addEventListener('click', () => { action = button.dataset.action; });
}

$('scan-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const body = { action, card: $('card').value, barcode: $('barcode').value };
  const response = await fetch('/library/api/scan', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  show(response.ok ? await response.json() : { outcome: 'refuse', reason: 'bad_scan' });
  $('barcode').value = '';
  $('barcode').focus();
  action = 'loan';
  await refresh();
});

$('card').addEventListener('change', () => { void refresh(); });
void refresh();
