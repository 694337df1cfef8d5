// retention.js: cohort retention heat map.
import { h, card, empty, fmt, field, select, eventList } from './dom.js';
import { get } from './api.js';
import { heat } from './charts.js';

// future reports whether period offset of a cohort starting at start
// (YYYY-MM-DD, UTC) has not begun yet.
function future(start, grain, offset) {
  const d = new Date(start + 'T00:00:00Z');
  if (Number.isNaN(d.getTime())) return false;
  if (grain === 'day') d.setUTCDate(d.getUTCDate() + offset);
  else if (grain === 'week') d.setUTCDate(d.getUTCDate() + 7 * offset);
  else d.setUTCMonth(d.getUTCMonth() + offset);
  return d.getTime() > Date.now();
}

export async function retentionView(view, _args, params) {
  const q = {
    cohort: params.get('cohort') || 'first_seen', grain: params.get('grain') || 'week',
    periods: params.get('periods') || '8', event: params.get('event') || '',
  };
  const cohort = select('cohort', [['first_seen', 'first seen'], ['first_order', 'first order']], q.cohort);
  const grain = select('grain', [['day', 'day'], ['week', 'week'], ['month', 'month']], q.grain);
  const periods = h('input', { type: 'number', name: 'periods', min: 1, max: 52, value: q.periods, class: 'narrow' });
  const event = h('input', { type: 'text', name: 'event', value: q.event, list: 'ret-events', placeholder: 'any event' });
  const form = h('form', { class: 'card row', id: 'retention-form' }, field('Cohort by', cohort), field('Period', grain), field('Periods', periods),
    field('Returning event', event), eventList('ret-events'), h('button', { type: 'submit' }, 'Show'));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    location.hash = '#/retention?' + new URLSearchParams({ cohort: cohort.value, grain: grain.value, periods: periods.value, event: event.value.trim() });
  });
  view.append(h('h1', {}, 'Retention'), form);
  const m = await get('/retention', q);
  const cohorts = m.cohorts || [];
  if (!cohorts.length) {
    view.append(empty('No cohorts yet.', q.cohort === 'first_order' ? 'Cohorts by first order need “Order Completed” events.' : 'Customers appear here after their first event.'));
    return;
  }
  const n = m.periods;
  const table = h('table', { class: 'data heat', id: 'retention-table' },
    h('thead', {}, h('tr', {}, h('th', {}, 'Cohort'), h('th', {}, 'Customers'), Array.from({ length: n }, (_, i) => h('th', {}, `${m.grain} ${i}`)))),
    h('tbody', {}, cohorts.map((c) => h('tr', {}, h('td', {}, c.start), h('td', { class: 'num' }, fmt.int(c.size)),
      Array.from({ length: n }, (_, i) => {
        const r = c.rates[i];
        if (r == null || future(c.start, m.grain, i)) return h('td', { class: 'na', title: 'not yet' }, '');
        return h('td', { class: 'cell' + (r > 0.55 ? ' dark' : ''), style: { background: heat(r) }, title: `${c.retained[i]} of ${c.size}` }, fmt.pct(r, 0));
      })))));
  view.append(card(`Share of each ${q.cohort === 'first_order' ? 'first-order' : 'first-seen'} cohort active again ${q.event ? 'with “' + q.event + '”' : ''} in later periods`,
    h('div', { class: 'scroll' }, table)));
}
