// alerts.js: open closed-loop alerts (GET /alerts): detractor answers,
// complaints and churn risk turned high, each with the suggested action and
// a link to the customer's 360 view.
import { h, card, empty, field, select, fmt, customerLink } from './dom.js';
import { get } from './api.js';

// LIMIT is the most alerts listed at once (newest first).
const LIMIT = 200;
const REASONS = [['detractor', 'Detractor answer'], ['complaint', 'Complaint'], ['churn_high', 'Churn risk high']];
const reasonLabel = (r) => (REASONS.find(([k]) => k === r) || [r, r])[1];

function filterForm(q) {
  const reason = select('reason', [['', 'all reasons'], ...REASONS], q.reason);
  const days = h('input', { type: 'number', name: 'days', min: 1, max: 3650, value: q.days, class: 'narrow' });
  const customer = h('input', { type: 'text', name: 'customer', value: q.customer, placeholder: 'any customer' });
  const form = h('form', { class: 'card row', id: 'alerts-form' }, field('Reason', reason), field('Raised in the last … days', days),
    field('Customer id', customer), h('button', { type: 'submit' }, 'Show'));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const p = { reason: reason.value, days: days.value, customer: customer.value.trim() };
    location.hash = '#/alerts?' + new URLSearchParams(Object.entries(p).filter(([, v]) => v !== ''));
  });
  return form;
}

// details lists the alert's details unless the message already says them.
function details(a) {
  const ds = (a.details || []).filter((d) => !(a.message || '').includes(d));
  return ds.length ? h('ul', { class: 'reasons small' }, ds.map((d) => h('li', {}, d))) : null;
}

export async function alertsView(view, _args, params) {
  const q = { reason: params.get('reason') || '', days: params.get('days') || '7', customer: params.get('customer') || '' };
  view.append(h('h1', {}, 'Alerts'), filterForm(q));
  const r = await get('/alerts', { ...q, limit: LIMIT });
  const list = r.alerts || [];
  const what = q.reason ? `“${reasonLabel(q.reason)}” alerts` : 'alerts';
  if (!list.length) {
    view.append(empty(`No open ${what} raised in the last ${fmt.int(r.days)} days${q.customer ? ' for ' + q.customer : ''}.`,
      'The processor’s scorer raises an alert for a detractor NPS answer (0–6), a complaint, or a customer whose churn risk turns high; alerts have no acknowledge step, so “open” means raised within the period.'));
    return;
  }
  const table = h('table', { class: 'data', id: 'alerts-table', dataset: { days: r.days, limit: LIMIT } },
    h('thead', {}, h('tr', {}, ['Raised', 'Customer', 'Reason', 'Severity', 'What happened', 'Suggested action'].map((c) => h('th', {}, c)))),
    h('tbody', {}, list.map((a) => h('tr', { dataset: { alert: a.alert_id, reason: a.reason } },
      h('td', { class: 'nowrap' }, fmt.dateTime(a.raised_ms)),
      h('td', { dataset: { field: 'customer' } }, customerLink(a.customer_id)),
      h('td', { dataset: { field: 'reason' } }, h('span', { class: 'reason ' + a.reason }, reasonLabel(a.reason))),
      h('td', {}, h('span', { class: 'risk ' + a.severity }, a.severity)),
      h('td', {}, a.message, details(a), h('div', { class: 'muted small' }, 'trigger ' + fmt.dateTime(a.trigger_ms))),
      h('td', {}, a.action)))));
  view.append(card(`${fmt.int(list.length)}${list.length === LIMIT ? ' (newest)' : ''} open ${what} raised in the last ${fmt.int(r.days)} days`,
    list.length === LIMIT ? h('p', { class: 'muted' }, `Showing the newest ${LIMIT}; filter by reason or customer to see others.`) : null,
    h('div', { class: 'scroll' }, table)));
}
