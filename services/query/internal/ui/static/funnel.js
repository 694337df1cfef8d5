// funnel.js: funnel builder with a conversion chart, channel breakdown and
// drop-off lists. The definition lives in the URL so a funnel can be shared.
import { h, card, empty, fmt, field, select, customerLink, eventList } from './dom.js';
import { post } from './api.js';
import { funnelChart } from './charts.js';

const DEFAULT_STEPS = ['Product Viewed', 'Checkout Started', 'Order Completed'];
const OPS = [['eq', '='], ['neq', '≠'], ['contains', 'contains'], ['gt', '>'], ['gte', '≥'], ['lt', '<'], ['lte', '≤'], ['exists', 'exists']];
const WINDOWS = [[3600, '1 hour'], [86400, '1 day'], [604800, '7 days'], [2592000, '30 days'], [7776000, '90 days']];

function readDef(params) {
  const steps = (params.get('steps') || '').split('|').filter(Boolean);
  let where = [];
  try { where = JSON.parse(params.get('where') || '[]'); } catch (_) { where = []; }
  return {
    steps: steps.length ? steps : DEFAULT_STEPS,
    where: Array.isArray(where) ? where : [],
    window: Number(params.get('window')) || 604800,
    strict: params.get('strict') === '1',
    breakdown: params.get('breakdown') ?? 'channel',
    from: params.get('from') || '',
    to: params.get('to') || '',
    run: params.has('steps'),
  };
}

function builder(def) {
  const list = h('ol', { class: 'steps', id: 'funnel-steps' });
  const addStep = (v, filters) => {
    const input = h('input', { type: 'text', name: 'step', value: v, list: 'known-events', required: true, 'aria-label': 'step event' });
    const rm = h('button', { type: 'button', class: 'link', title: 'remove step' }, 'remove');
    const more = h('button', { type: 'button', class: 'link', title: 'add a property filter' }, '+ filter');
    const rows = h('div', { class: 'filters' });
    const li = h('li', {}, h('div', {}, input, more, rm), rows);
    rm.addEventListener('click', () => { if (list.children.length > 2) li.remove(); });
    more.addEventListener('click', () => rows.append(filterRow({})));
    (filters || []).forEach((f) => rows.append(filterRow(f)));
    list.append(li);
  };
  def.steps.forEach((v, i) => addStep(v, def.where[i]));
  const add = h('button', { type: 'button', class: 'secondary', id: 'funnel-add' }, '+ Add step');
  add.addEventListener('click', () => { if (list.children.length < 10) addStep('', []); });
  const win = select('window', WINDOWS, def.window);
  const strict = h('input', { type: 'checkbox', name: 'strict', checked: def.strict });
  const from = h('input', { type: 'date', name: 'from', value: def.from });
  const to = h('input', { type: 'date', name: 'to', value: def.to });
  const breakdown = select('breakdown', [['', 'none'], ['channel', 'channel'], ['source', 'source'], ['campaign', 'campaign']], def.breakdown);
  const form = h('form', { class: 'card builder', id: 'funnel-form' },
    h('h2', {}, 'Steps'), list, add, eventList('known-events'),
    h('div', { class: 'row' }, field('Conversion window', win), field('Breakdown', breakdown), field('From (UTC)', from), field('Until (UTC, inclusive)', to),
      h('label', { class: 'check' }, strict, ' strict order (no other events between steps)')),
    h('button', { type: 'submit', id: 'funnel-run' }, 'Run funnel'));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const lis = [...list.children].filter((li) => li.querySelector('input[name=step]').value.trim());
    const steps = lis.map((li) => li.querySelector('input[name=step]').value.trim());
    const where = lis.map((li) => [...li.querySelectorAll('.filter')].map(readFilter).filter(Boolean));
    const q = new URLSearchParams({ steps: steps.join('|'), window: win.value, breakdown: breakdown.value, strict: strict.checked ? '1' : '0' });
    if (where.some((w) => w.length)) q.set('where', JSON.stringify(where));
    if (from.value) q.set('from', from.value);
    if (to.value) q.set('to', to.value);
    location.hash = '#/funnels?' + q;
  });
  return form;
}

// filterRow edits one property filter {property, op, value} of a step.
function filterRow(f) {
  const row = h('div', { class: 'filter' },
    h('input', { type: 'text', name: 'property', value: f.property || '', placeholder: 'property', 'aria-label': 'property' }),
    select('op', OPS, f.op || 'eq'),
    h('input', { type: 'text', name: 'value', value: f.value ?? '', placeholder: 'value', 'aria-label': 'value' }));
  const rm = h('button', { type: 'button', class: 'link', title: 'remove filter' }, '×');
  rm.addEventListener('click', () => row.remove());
  row.append(rm);
  return row;
}

// readFilter reads a filter row; numbers compare numerically in the API.
function readFilter(row) {
  const property = row.querySelector('[name=property]').value.trim();
  if (!property) return null;
  const op = row.querySelector('[name=op]').value;
  const raw = row.querySelector('[name=value]').value.trim();
  const value = raw !== '' && !Number.isNaN(Number(raw)) ? Number(raw) : raw;
  return op === 'exists' ? { property, op } : { property, op, value };
}

function request(def, dropoff) {
  const body = { steps: def.steps.map((event, i) => (def.where[i] && def.where[i].length ? { event, where: def.where[i] } : { event })), window_seconds: def.window, strict: def.strict, breakdown: def.breakdown };
  if (def.from) body.from_ms = Date.parse(def.from + 'T00:00:00Z');
  if (def.to) body.to_ms = Date.parse(def.to + 'T00:00:00Z') + 86400000;
  if (dropoff) body.dropoff = { step: dropoff, limit: 100 };
  return body;
}

export async function funnelView(view, _args, params) {
  const def = readDef(params);
  view.append(h('h1', {}, 'Funnel'), builder(def));
  if (!def.run) {
    view.append(empty('Choose the steps and press “Run funnel”.', 'A customer counts at step k when they did steps 1..k in order within the window of step 1.'));
    return;
  }
  const res = await post('/funnels', request(def));
  const steps = res.steps || [];
  if (!steps.length || steps[0].customers === 0) {
    view.append(empty(`Nobody did “${def.steps[0]}” in this period.`, 'Check the event name: it is case sensitive. Page views are named “page” or “page:Name”.'));
    return;
  }
  const drop = h('div', { id: 'dropoff' });
  const showDrop = async (k) => {
    drop.replaceChildren(h('p', { class: 'muted' }, 'Loading…'));
    try {
      const d = await post('/funnels', request(def, k));
      const who = (d.dropoff && d.dropoff.customers) || [];
      drop.replaceChildren(card(`Dropped after step ${k} (${steps[k - 1].event}), before “${steps[k].event}”`,
        who.length ? h('ul', { class: 'results', id: 'dropoff-list', dataset: { step: k } }, who.map((c) => h('li', {}, customerLink(c)))) : empty('Nobody dropped at this step.'),
        d.dropoff && d.dropoff.next_after ? h('p', { class: 'muted' }, 'Showing the first 100.') : null));
    } catch (err) {
      drop.replaceChildren(h('p', { class: 'error' }, err.message));
    }
  };
  view.append(card('Conversion', h('p', { class: 'muted' }, 'Click a bar or “who dropped?” to list the customers who stopped after that step.'),
    funnelChart(steps, showDrop), stepTable(steps, showDrop)), drop);
  if (res.breakdown && res.breakdown.length) view.append(breakdownCard(def, res.breakdown));
}

function stepTable(steps, showDrop) {
  return h('table', { class: 'data', id: 'funnel-table' },
    h('thead', {}, h('tr', {}, ['Step', 'Event', 'Customers', 'From previous', 'From first', 'Dropped after', 'Median time from previous', ''].map((c) => h('th', {}, c)))),
    h('tbody', {}, steps.map((s, i) => h('tr', { dataset: { step: s.step } },
      h('td', {}, s.step), h('td', {}, s.event),
      h('td', { class: 'num', dataset: { field: 'customers' } }, s.customers),
      h('td', { class: 'num', dataset: { field: 'conversion_from_previous' } }, fmt.pct(s.conversion_from_previous)),
      h('td', { class: 'num', dataset: { field: 'conversion_from_first' } }, fmt.pct(s.conversion_from_first)),
      h('td', { class: 'num', dataset: { field: 'dropped_after' } }, i < steps.length - 1 ? s.dropped_after : '–'),
      h('td', { class: 'num' }, fmt.duration(s.median_seconds_from_previous)),
      h('td', {}, i < steps.length - 1 ? h('button', { type: 'button', class: 'link', onclick: () => showDrop(s.step), dataset: { dropStep: s.step } }, 'who dropped?') : null)))));
}

function breakdownCard(def, groups) {
  return card(`Breakdown by ${def.breakdown}`, h('table', { class: 'data', id: 'funnel-breakdown' },
    h('thead', {}, h('tr', {}, h('th', {}, def.breakdown), def.steps.map((s, i) => h('th', {}, `${i + 1}. ${s}`)), h('th', {}, 'Conversion'))),
    h('tbody', {}, groups.map((g) => {
      const last = g.steps[g.steps.length - 1];
      return h('tr', { dataset: { group: g.value } }, h('td', {}, g.value || '(none)'),
        g.steps.map((s) => h('td', { class: 'num' }, fmt.int(s.customers))),
        h('td', { class: 'num' }, h('span', { class: 'bar-inline', style: { '--w': (last.conversion_from_first * 100).toFixed(1) + '%' } }), fmt.pct(last.conversion_from_first)));
    }))));
}
