// alerts.js: the case inbox (GET /alerts): closed-loop alerts raised by the
// processor, each a case (open -> assigned -> contacted -> resolved /
// dismissed) with its owner, the suggested action and links to the case and
// the customer's 360 view; above it the case figures (GET /alerts/figures).
import { h, card, empty, field, select, fmt, customerLink, channelChip } from './dom.js';
import { get } from './api.js';

// LIMIT is the most alerts listed at once (newest first).
const LIMIT = 200;
export const REASONS = [['detractor', 'Detractor answer'], ['low_csat', 'Low CSAT'], ['complaint', 'Complaint'],
  ['payment_failed', 'Failed payment'], ['ticket_overdue', 'Ticket overdue'], ['churn_high', 'Churn risk high'],
  ['contract_ending', 'Contract ending'], ['sleeper', 'Sleeper']];
export const STATES = [['open', 'Open'], ['assigned', 'Assigned'], ['contacted', 'Contacted'], ['resolved', 'Resolved'], ['dismissed', 'Dismissed']];
export const reasonLabel = (r) => (REASONS.find(([k]) => k === r) || [r, r])[1];
export const caseLink = (id, text) => h('a', { href: '#/case/' + encodeURIComponent(id), class: 'case-link' }, text);

function filterForm(q) {
  const state = select('state', [['', 'any state'], ...STATES], q.state);
  const reason = select('reason', [['', 'all reasons'], ...REASONS], q.reason);
  const owner = h('input', { type: 'text', name: 'owner', value: q.owner, placeholder: 'anyone' });
  const days = h('input', { type: 'number', name: 'days', min: 1, max: 3650, value: q.days, class: 'narrow' });
  const customer = h('input', { type: 'text', name: 'customer', value: q.customer, placeholder: 'any customer' });
  const form = h('form', { class: 'card row', id: 'alerts-form' }, field('State', state), field('Reason', reason), field('Owner', owner),
    field('Raised in the last … days', days), field('Customer id', customer), h('button', { type: 'submit' }, 'Show'));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const p = { state: state.value, reason: reason.value, owner: owner.value.trim(), days: days.value, customer: customer.value.trim() };
    location.hash = '#/alerts?' + new URLSearchParams(Object.entries(p).filter(([, v]) => v !== ''));
  });
  return form;
}

// details lists the alert's details unless the message already says them.
function details(a) {
  const ds = (a.details || []).filter((d) => !(a.message || '').includes(d));
  return ds.length ? h('ul', { class: 'reasons small' }, ds.map((d) => h('li', {}, d))) : null;
}

const hours = (v) => (v == null ? '–' : fmt.duration(v * 3600));
const ratio = (n, of) => (of ? `${fmt.int(n)} of ${fmt.int(of)}` : '–');

// figuresCard shows the case figures of the period.
export function figuresCard(f) {
  const table = h('table', { class: 'data', id: 'case-figures-table' },
    h('thead', {}, h('tr', {}, ['Reason', 'Channel', 'Alerts', 'Open', 'Contacted', 'Resolved', 'Dismissed', 'First contact (median)',
      'Resolution (median)', 'NPS 7+ after', 'Experience up after'].map((c) => h('th', {}, c)))),
    h('tbody', {}, f.groups.map((g) => h('tr', { dataset: { reason: g.reason, channel: g.channel } },
      h('td', {}, reasonLabel(g.reason)), h('td', {}, g.channel === 'none' ? '–' : channelChip(g.channel)),
      h('td', { dataset: { field: 'alerts' } }, fmt.int(g.alerts)), h('td', { dataset: { field: 'open' } }, fmt.int(g.open)),
      h('td', { dataset: { field: 'contacted' } }, fmt.int(g.contacted)), h('td', { dataset: { field: 'resolved' } }, fmt.int(g.resolved)),
      h('td', { dataset: { field: 'dismissed' } }, fmt.int(g.dismissed)),
      h('td', {}, hours(g.first_contact_hours)), h('td', {}, hours(g.resolution_hours)),
      h('td', {}, ratio(g.nps_recovered, g.nps_after)), h('td', {}, ratio(g.experience_recovered, g.experience_compared))))));
  return h('section', { class: 'card', id: 'case-figures', dataset: { open: f.open } },
    h('h2', {}, `Cases of the last ${fmt.int(f.days)} days: `, h('span', { id: 'open-cases' }, fmt.int(f.open)), ' open'),
    h('p', { class: 'muted' }, STATES.map(([k, l]) => `${l} ${fmt.int(f.by_state[k] || 0)}`).join(' · ')),
    f.groups.length ? h('div', { class: 'scroll' }, table) : h('p', { class: 'muted' }, 'No alerts in the period.'));
}

export async function alertsView(view, _args, params) {
  const q = {
    state: params.has('state') ? params.get('state') : 'open', reason: params.get('reason') || '', owner: params.get('owner') || '',
    days: params.get('days') || '90', customer: params.get('customer') || '',
  };
  view.append(h('h1', {}, 'Cases'), filterForm(q));
  const [r, f] = await Promise.all([get('/alerts', { ...q, limit: LIMIT }), get('/alerts/figures', { days: 90 })]);
  view.append(figuresCard(f));
  const list = r.alerts || [];
  const what = (q.state ? q.state + ' ' : '') + (q.reason ? `“${reasonLabel(q.reason)}” cases` : 'cases');
  if (!list.length) {
    view.append(empty(`No ${what} raised in the last ${fmt.int(r.days)} days${q.customer ? ' for ' + q.customer : ''}${q.owner ? ' owned by ' + q.owner : ''}.`,
      'The processor raises an alert as a detractor NPS answer, a low CSAT, a complaint or a failed payment arrives, when a ticket misses its response target, and (its scorer) when churn risk turns high, a contract nears its end or a customer goes silent. Each alert is a case to assign, contact and resolve.'));
    return;
  }
  const table = h('table', { class: 'data', id: 'alerts-table', dataset: { days: r.days, limit: LIMIT } },
    h('thead', {}, h('tr', {}, ['Raised', 'Customer', 'Reason', 'State', 'Owner', 'What happened', 'Suggested action', ''].map((c) => h('th', {}, c)))),
    h('tbody', {}, list.map((a) => h('tr', { dataset: { alert: a.alert_id, reason: a.reason, state: a.state } },
      h('td', { class: 'nowrap' }, fmt.dateTime(a.raised_ms)),
      h('td', { dataset: { field: 'customer' } }, customerLink(a.customer_id)),
      h('td', { dataset: { field: 'reason' } }, h('span', { class: 'reason ' + a.reason }, reasonLabel(a.reason))),
      h('td', { dataset: { field: 'state' } }, h('span', { class: 'state ' + a.state }, a.state)),
      h('td', { dataset: { field: 'owner' } }, a.owner || '–'),
      h('td', {}, a.message, details(a), h('div', { class: 'muted small' }, 'trigger ' + fmt.dateTime(a.trigger_ms) + (a.channel ? ' via ' + a.channel : ''))),
      h('td', {}, a.action),
      h('td', {}, caseLink(a.alert_id, 'Open case'))))));
  view.append(card(`${fmt.int(list.length)}${list.length === LIMIT ? ' (newest)' : ''} ${what} raised in the last ${fmt.int(r.days)} days`,
    list.length === LIMIT ? h('p', { class: 'muted' }, `Showing the newest ${LIMIT}; filter to see others.`) : null,
    h('div', { class: 'scroll' }, table)));
}
