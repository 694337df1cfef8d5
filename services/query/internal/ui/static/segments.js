// segments.js: segment lists with counts, member tables, CSV export and
// the size per day from the score snapshots.
import { h, card, empty, field, customerLink } from './dom.js';
import { get, request } from './api.js';
import { historyCard } from './history.js';

const COUNT_LIMIT = 1000;

// CHOICES are the known values of segment parameters; a segment names its
// parameters in `backticks` in its description.
const CHOICES = {
  stage: ['unbound', 'satisfied', 'enthusiastic', 'advocate'],
  state: ['new', 'returning', 'resurrecting', 'dormant', 'churned'],
};
const OPTIONAL = { days: '30' };

function paramsOf(seg) { return [...new Set([...(seg.description || '').matchAll(/`([a-z_]+)`/g)].map((m) => m[1]))]; }

// variants expands a segment into one list entry per known parameter value.
function variants(seg) {
  const ps = paramsOf(seg).filter((p) => !OPTIONAL[p]);
  if (!ps.length) return [{ seg, params: {} }];
  const p = ps[0];
  if (!CHOICES[p]) return [{ seg, params: null, need: p }];
  return CHOICES[p].map((v) => ({ seg, params: { [p]: v } }));
}

function segHash(name, params) {
  const q = new URLSearchParams(params || {}).toString();
  return '#/segment/' + encodeURIComponent(name) + (q ? '?' + q : '');
}

const cell = (v) => (v == null ? '' : Array.isArray(v) ? v.join('; ') : typeof v === 'object' ? JSON.stringify(v) : String(v));
const plain = (d) => (d || '').replaceAll('`', '');
const label = (name, params) => name.replaceAll('_', ' ') + Object.values(params || {}).map((v) => ': ' + v).join('');

export async function segmentsView(view) {
  view.append(h('h1', {}, 'Segments'));
  const { segments } = await get('/segments');
  if (!segments || !segments.length) {
    view.append(empty('No segments are available from this query service yet.', 'Segments (sleepers, churn risk, contracts ending, promoters, RFM…) appear once the scores module registers them.'));
    return;
  }
  const list = h('ul', { class: 'segments', id: 'segment-list' });
  for (const v of segments.flatMap(variants)) {
    const s = v.seg;
    if (!v.params) {
      list.append(h('li', {}, h('a', { href: segHash(s.name), dataset: { segment: s.name } }, h('b', {}, label(s.name)), h('span', { class: 'count muted' }, 'pick a ' + v.need)),
        h('p', { class: 'muted' }, plain(s.description))));
      continue;
    }
    const key = s.name + Object.values(v.params).map((x) => ':' + x).join('');
    const count = h('span', { class: 'count', dataset: { segmentCount: key } }, '…');
    list.append(h('li', {}, h('a', { href: segHash(s.name, v.params), dataset: { segment: key } }, h('b', {}, label(s.name, v.params)), count),
      h('p', { class: 'muted' }, plain(s.description))));
    get('/segments/' + encodeURIComponent(s.name), { ...v.params, limit: COUNT_LIMIT }).then(
      (m) => { count.textContent = `${(m.members || []).length}${m.next ? '+' : ''} customers`; },
      (err) => { count.textContent = 'count unavailable'; count.title = err.message; count.classList.add('error-text'); });
  }
  view.append(card(`${segments.length} segments`, list));
}

export async function segmentView(view, args, query) {
  const name = args[0];
  const params = Object.fromEntries(query.entries());
  view.append(h('p', {}, h('a', { href: '#/segments' }, '← all segments')), h('h1', {}, 'Segment: ' + label(name, params)));
  const { segments } = await get('/segments');
  const seg = (segments || []).find((s) => s.name === name);
  if (!seg) {
    view.append(empty(`There is no segment “${name}”.`));
    return;
  }
  view.append(h('p', { class: 'muted' }, plain(seg.description)));
  if (paramsOf(seg).length) view.append(paramForm(name, paramsOf(seg), params));
  const missing = paramsOf(seg).filter((p) => !OPTIONAL[p] && !params[p]);
  if (missing.length) {
    view.append(empty('Choose ' + missing.join(', ') + ' to list the customers.'));
    return;
  }
  const [first, history] = await Promise.all([get('/segments/' + encodeURIComponent(name), { ...params, limit: 100 }), historyCard(seg, params)]);
  view.append(history);
  const exportBtn = h('button', { type: 'button', id: 'segment-export' }, 'Export CSV');
  const status = h('span', { class: 'muted', id: 'export-status' });
  exportBtn.addEventListener('click', async () => {
    exportBtn.disabled = true;
    status.textContent = 'Exporting…';
    try {
      const res = await request('/segments/' + encodeURIComponent(name), { params: { ...params, format: 'csv', limit: 10000 } });
      const blob = await res.blob();
      const a = h('a', { href: URL.createObjectURL(blob), download: name + '.csv' });
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(a.href), 10000);
      status.textContent = `Exported ${name}.csv`;
    } catch (err) {
      status.textContent = 'Export failed: ' + err.message;
    } finally {
      exportBtn.disabled = false;
    }
  });
  view.append(h('div', { class: 'row actions' }, exportBtn, status));
  const members = first.members || [];
  if (!members.length) {
    view.append(empty('Nobody is in this segment right now.', 'Segments come from the scorer’s last run (CEM_SCORES_INTERVAL); new customers appear after the next run.'));
    return;
  }
  const cols = first.columns || [];
  const body = h('tbody', {});
  const countEl = h('p', { class: 'muted', id: 'segment-count' });
  const add = (ms) => {
    for (const m of ms) {
      body.append(h('tr', {}, h('td', {}, customerLink(m.customer_id)),
        cols.map((c) => { const v = (m.fields || {})[c]; return h('td', {}, cell(v)); })));
    }
  };
  add(members);
  let next = first.next;
  const more = h('button', { type: 'button', class: 'secondary' }, 'Load more');
  const update = () => {
    countEl.textContent = `${body.children.length}${next ? '+' : ''} customers`;
    more.hidden = !next;
  };
  more.addEventListener('click', async () => {
    more.disabled = true;
    const page = await get('/segments/' + encodeURIComponent(name), { ...params, limit: 100, after: next });
    add(page.members || []);
    next = page.next;
    more.disabled = false;
    update();
  });
  update();
  view.append(card('Members', countEl, h('div', { class: 'scroll' }, h('table', { class: 'data', id: 'segment-table' },
    h('thead', {}, h('tr', {}, h('th', {}, 'customer'), cols.map((c) => h('th', {}, c.replaceAll('_', ' '))))), body)), more));
}

function paramForm(name, names, params) {
  const inputs = names.map((p) => (CHOICES[p]
    ? h('select', { name: p }, h('option', { value: '' }, 'choose…'), CHOICES[p].map((v) => h('option', { value: v, selected: params[p] === v }, v)))
    : h('input', { type: p === 'days' ? 'number' : 'text', name: p, value: params[p] || '', placeholder: OPTIONAL[p] || p, class: p === 'days' ? 'narrow' : '' })));
  const form = h('form', { class: 'card row', id: 'segment-params' }, names.map((p, i) => field(p, inputs[i])), h('button', { type: 'submit' }, 'Show'));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const q = {};
    names.forEach((p, i) => { if (inputs[i].value.trim()) q[p] = inputs[i].value.trim(); });
    location.hash = segHash(name, q);
  });
  return form;
}
