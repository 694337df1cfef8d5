// history.js: a segment's size per day from the daily score snapshots
// (GET /segments/{name}/history) as columns and a table.
import { h, card, empty, select, fmt, errorBox } from './dom.js';
import { get, ApiError } from './api.js';
import { columns } from './charts.js';

const RANGES = [[30, 'last 30 days'], [90, 'last 90 days'], [365, 'last 365 days']];
const DAY = 86400000;

const isoDay = (ms) => new Date(ms).toISOString().slice(0, 10);
const dayMs = (d) => Date.parse(d + 'T00:00:00Z');

// daySlots spreads the points over every day from the first to the last,
// with y null on days without a snapshot.
function daySlots(points) {
  if (!points.length) return [];
  const byDay = new Map(points.map((p) => [p.day, p.count]));
  const out = [];
  for (let t = dayMs(points[0].day), end = dayMs(points[points.length - 1].day); t <= end && out.length < 4000; t += DAY) {
    const d = isoDay(t);
    out.push({ x: d, y: byDay.has(d) ? byDay.get(d) : null });
  }
  return out;
}

const signed = (n) => (n > 0 ? '+' + fmt.int(n) : n < 0 ? '−' + fmt.int(-n) : '0');

function render(name, r) {
  const pts = r.points || [];
  if (!pts.length) {
    return [empty(`No score snapshots between ${r.from} and ${r.to}.`,
      'The processor’s scorer takes one snapshot of every customer’s scores per day; the history starts with its first run.')];
  }
  const rows = pts.map((p, i) => ({ ...p, change: i ? p.count - pts[i - 1].count : null })).reverse();
  const table = h('table', { class: 'data', id: 'segment-history-table' },
    h('thead', {}, h('tr', {}, ['Day', 'Customers', 'Change'].map((c) => h('th', {}, c)))),
    h('tbody', {}, rows.map((p) => h('tr', { dataset: { day: p.day } }, h('td', {}, p.day),
      h('td', { class: 'num', dataset: { field: 'count' } }, fmt.int(p.count)),
      h('td', { class: 'num muted' }, p.change == null ? '–' : signed(p.change))))));
  return [h('div', { class: 'history' },
    h('div', {}, columns(daySlots(pts), { label: `customers in ${name} per day` }),
      h('p', { class: 'muted small' }, 'Customers in the segment by each day’s snapshot (a customer’s scores at their first scoring that day); days without a snapshot stay empty.')),
    h('div', { class: 'scroll history-table' }, table))];
}

// historyCard returns the card with the size per day of the last 90 days
// (a select changes the range) of segment seg (an entry of GET /segments,
// whose history flag says whether the snapshots keep its facts); it marks
// its loading with data-state and the range shown with data-from and data-to.
export async function historyCard(seg, params) {
  const name = seg.name;
  const body = h('div', {});
  const range = select('range', RANGES, 90);
  const el = card('', h('div', { class: 'card-head' }, h('h2', {}, 'Size per day'), seg.history ? range : null), body);
  el.id = 'segment-history';
  if (!seg.history) {
    body.append(empty('This segment keeps no history.', 'Its facts (such as contract end dates or open tickets) are not part of the daily score snapshots.'));
    el.dataset.state = 'ready';
    return el;
  }
  let seq = 0;
  const load = async (days) => {
    const mine = ++seq;
    el.dataset.state = 'loading';
    try {
      const r = await get('/segments/' + encodeURIComponent(name) + '/history', { ...params, from: isoDay(Date.now() - days * DAY) });
      if (mine !== seq) return;
      body.replaceChildren(...render(name, r));
      Object.assign(el.dataset, { from: r.from, to: r.to, state: 'ready' });
    } catch (err) {
      if (mine !== seq) return;
      const none = err instanceof ApiError && err.status === 400 && /no history/.test(err.message);
      body.replaceChildren(none ? empty('This segment keeps no history.', err.message) : errorBox(err));
      el.dataset.state = none ? 'ready' : 'error';
    }
  };
  range.addEventListener('change', () => load(Number(range.value)));
  await load(90);
  return el;
}
