// paths.js: top paths from an anchor event as a Sankey diagram and a list.
import { h, card, empty, fmt, field, select, eventList } from './dom.js';
import { get } from './api.js';
import { sankey } from './charts.js';

export async function pathsView(view, _args, params) {
  const q = {
    anchor: params.get('anchor') || '', direction: params.get('direction') || 'next',
    depth: params.get('depth') || '3', limit: params.get('limit') || '20', days: params.get('days') || '30',
  };
  const anchor = h('input', { type: 'text', name: 'anchor', value: q.anchor, list: 'path-events', required: true, placeholder: 'e.g. Checkout Started' });
  const dir = select('direction', [['next', 'what happens next'], ['previous', 'what happened before']], q.direction);
  const depth = select('depth', [1, 2, 3, 4, 5, 6].map((d) => [d, d + ' steps']), q.depth);
  // The API's range: the last N days up to now.
  const days = select('days', [[7, 'last 7 days'], [30, 'last 30 days'], [90, 'last 90 days'], [365, 'last 365 days']], q.days);
  const form = h('form', { class: 'card row', id: 'paths-form' }, field('Anchor event', anchor), eventList('path-events'), field('Direction', dir),
    field('Depth', depth), field('Range', days), h('button', { type: 'submit' }, 'Show paths'));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    location.hash = '#/paths?' + new URLSearchParams({ anchor: anchor.value.trim(), direction: dir.value, depth: depth.value, days: days.value });
  });
  view.append(h('h1', {}, 'Paths'), form);
  if (!q.anchor) {
    view.append(empty('Pick an anchor event to see the most frequent paths from (or to) it.'));
    return;
  }
  const r = await get('/paths', q);
  const since = r.from_ms ? 'events since ' + new Date(r.from_ms).toISOString().slice(0, 10) + ' (the last ' + q.days + ' days)' : 'all events';
  if (!r.paths || !r.paths.length) {
    view.append(empty(`No paths found around “${q.anchor}” in ${since}.`, 'The anchor is an event name (case sensitive), “page” or “page:Name”; a longer range may find it.'));
    return;
  }
  view.append(h('p', { class: 'muted', id: 'paths-range' }, 'Paths over ' + since + '.'));
  view.append(card(`Top paths ${q.direction === 'previous' ? 'leading to' : 'from'} “${q.anchor}”`, h('div', { class: 'scroll' }, sankey(r.nodes || [], r.links || []))));
  view.append(card('Paths', h('table', { class: 'data', id: 'paths-table' },
    h('thead', {}, h('tr', {}, ['Path', 'Customers', 'Occurrences'].map((c) => h('th', {}, c)))),
    h('tbody', {}, r.paths.map((p) => h('tr', {}, h('td', {}, p.steps.join(' → ')), h('td', { class: 'num' }, fmt.int(p.customers)), h('td', { class: 'num' }, fmt.int(p.occurrences))))))));
}
