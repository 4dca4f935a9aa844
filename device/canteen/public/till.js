/* global document, fetch, setInterval */
// The canteen operator's page: a reader's presentation shows up by polling the till's current
// proposal; a keyboard-wedge card reader types into the card field and ends with Enter. Confirm
// says "Served" only from the till's answer, which comes after the meal was written to disk.
'use strict';

const REASONS = {
  unknown: 'Not recognised',
  inactive: 'Card blocked or not enrolled',
  not_a_diner: 'Not served in the canteen',
  clock_untrusted: 'The till\'s clock is not set',
  outside_period: 'No meal period now',
  class_not_served: 'Not this class\'s meal time',
  empty_order: 'Choose a meal',
  unknown_item: 'Not on the menu',
  item_not_in_period: 'Not sold in this period',
  invalid_price: 'Price error: call the manager',
  allergen_blocked: 'Blocked by the parents: allergen',
  already_served_free: 'Free meal already served this period',
  daily_limit: 'Over the day\'s limit set by the parents',
  insufficient_balance: 'Not enough on the balance',
};

const $ = (id) => document.getElementById(id);
const money = (tiyn) => `${(tiyn / 100).toFixed(2)} ₸`;
let view = null;

function text(id, value) { $(id).textContent = value; }

function renderChoices(current) {
  $('choices').replaceChildren(...current.choices.map((item) => {
    const button = document.createElement('button');
    button.type = 'button';
    button.textContent = `${item.name} · ${money(item.priceTiyn)}`;
    button.dataset.item = item.id;
    button.addEventListener('click', () => { void post('/canteen/api/choose', { proposalId: current.proposalId, order: [{ itemId: item.id, quantity: 1 }] }); });
    return button;
  }));
}

function renderDecision(decision) {
  const line = $('decision');
  if (decision.outcome === 'refuse') {
    line.className = 'refused';
    line.textContent = REASONS[decision.reason] || decision.reason;
  } else {
    line.className = 'ok';
    line.textContent = decision.outcome === 'free' ? 'Free meal' : `To pay: ${money(decision.chargeTiyn)}`;
  }
  $('confirm').disabled = decision.outcome === 'refuse';
}

function render(next) {
  view = next;
  $('cancel').disabled = view === null;
  if (view === null) { $('confirm').disabled = true; return; }
  const diner = view.diner;
  text('name', diner ? (diner.displayName || diner.id) : 'Unknown');
  text('group', diner ? (diner.role === 'staff' ? 'staff' : (diner.group || '—')) : '—');
  text('entitlement', view.entitlement || '—');
  text('allergens', view.blockedAllergens.length ? view.blockedAllergens.join(', ') : 'none');
  $('allergens').className = view.blockedAllergens.length ? 'blocked' : '';
  text('balance', view.balanceTiyn === null ? '—' : money(view.balanceTiyn));
  text('limit', view.dailyLimitLeftTiyn === null ? 'no limit' : money(view.dailyLimitLeftTiyn));
  $('offline').hidden = !view.offline;
  const names = new Map(view.choices.map((item) => [item.id, item.name]));
  $('order').replaceChildren(...view.order.map((line) => {
    const li = document.createElement('li');
    li.textContent = `${line.quantity} × ${names.get(line.itemId) || line.itemId}`;
    return li;
  }));
  renderChoices(view);
  renderDecision(view.decision);
}

async function post(path, body) {
  const response = await fetch(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const answer = await response.json();
  if (answer.view !== undefined) render(answer.view);
  return answer;
}

$('card-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  text('result', '');
  await post('/canteen/api/present', { card: $('card').value });
  $('card').value = '';
});

$('confirm').addEventListener('click', async () => {
  if (view === null) return;
  $('confirm').disabled = true;
  const answer = await post('/canteen/api/confirm', { proposalId: view.proposalId });
  const result = $('result');
  if (answer.status === 'served') {
    result.className = 'ok';
    result.textContent = `Served (#${answer.seq})`;
    view = null;
    $('cancel').disabled = true;
  } else {
    result.className = 'refused';
    result.textContent = answer.status === 'refused' ? 'Not served' : 'Present again';
  }
});

$('cancel').addEventListener('click', async () => {
  if (view === null) return;
  await post('/canteen/api/cancel', { proposalId: view.proposalId });
  view = null;
  text('result', 'Cancelled');
  $('confirm').disabled = true;
  $('cancel').disabled = true;
});

// A face, palm or HID card at the kiosk's own readers makes a new proposal: show it.
setInterval(async () => {
  const answer = await (await fetch('/canteen/api/current')).json();
  if (answer.view && (view === null || answer.view.proposalId !== view.proposalId)) { text('result', ''); render(answer.view); }
}, 300);
