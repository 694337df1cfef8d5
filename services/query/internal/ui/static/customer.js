// customer.js: customer search, 360 profile and cross-channel timeline.
import { h, card, empty, fmt, channelBadge, channelChip, customerLink } from './dom.js';
import { get } from './api.js';

const NEGATIVE_EVENTS = new Set(['Error Shown', 'Payment Failed', 'Complaint Filed', 'Order Refunded', 'Contract Cancelled']);
const SURVEYS = { 'NPS Submitted': 'NPS', 'CSAT Submitted': 'CSAT', 'CES Submitted': 'CES' };

function searchForm(q) {
  const input = h('input', { type: 'search', name: 'q', id: 'customer-q', value: q || '', placeholder: 'customer id, anonymous id, e-mail or name', required: true });
  const form = h('form', { class: 'search', role: 'search' }, input, h('button', { type: 'submit', id: 'customer-search' }, 'Find customer'));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    location.hash = '#/customers?q=' + encodeURIComponent(input.value.trim());
  });
  return form;
}

// lookup tries the query as an id, then as e-mail or name.
async function lookup(q) {
  const tries = q.includes('@') ? [['email', q], ['id', q]] : [['id', q], ['name', q]];
  for (const [k, v] of tries) {
    const res = await get('/customers', { [k]: v });
    if (res.customers && res.customers.length) return { by: k, customers: res.customers };
  }
  return { by: '', customers: [] };
}

export async function customersView(view, _args, params) {
  const q = params.get('q') || '';
  view.append(h('h1', {}, 'Customers'), searchForm(q));
  if (!q) {
    view.append(empty('Search a customer by any id they used (user id, anonymous id), their e-mail or their name.',
      'Every channel of the customer is shown on one timeline, including anonymous visits before they logged in.'));
    return;
  }
  const { by, customers } = await lookup(q);
  if (!customers.length) {
    view.append(empty(`No customer found for “${q}”.`, 'Ids and e-mails must match exactly; names are matched as stored in the traits.'));
    return;
  }
  if (customers.length === 1) {
    location.replace('#/customer/' + encodeURIComponent(customers[0].customer_id));
    return;
  }
  view.append(card(`${customers.length} customers match by ${by}`,
    h('ul', { class: 'results' }, customers.map((c) => h('li', {}, customerLink(c.customer_id), h('span', { class: 'muted' }, ' ids: ' + c.ids.join(', ')))))));
}

export async function customerView(view, args, params) {
  const id = args[0];
  const channel = params.get('channel') || '';
  view.append(searchForm(''));
  const tq = { limit: 200, channel };
  const [profile, timeline] = await Promise.all([
    get('/customers/' + encodeURIComponent(id)),
    get('/customers/' + encodeURIComponent(id) + '/timeline', tq),
  ]);
  const tl = h('div', { class: 'timeline', id: 'timeline' });
  view.append(h('div', { class: 'two' }, profileCard(profile), card('Journey across channels', channelFilter(id, profile.channels || [], channel), tl)));
  renderTimeline(tl, id, timeline, tq);
}

// channelFilter links the timeline of all channels or of one.
function channelFilter(id, channels, active) {
  const base = '#/customer/' + encodeURIComponent(id);
  return h('div', { class: 'chanfilter', id: 'channel-filter' }, h('span', { class: 'muted' }, 'Show: '),
    h('a', { href: base, class: active ? '' : 'on' }, 'all channels'),
    channels.map((c) => h('a', { href: base + '?channel=' + encodeURIComponent(c), class: active === c ? 'on' : '', dataset: { channel: c } }, channelBadge(c), ' ', c)));
}

function kv(rows) {
  return h('dl', { class: 'kv' }, rows.filter(Boolean).map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]));
}

function scoreClass(kind, s) {
  if (kind === 'NPS' || kind === 'nps') return s >= 9 ? 'good' : s >= 7 ? 'mid' : 'bad';
  if (kind === 'CSAT' || kind === 'csat') return s >= 4 ? 'good' : s >= 3 ? 'mid' : 'bad';
  if (kind === 'CES' || kind === 'ces') return s >= 5 ? 'good' : s >= 4 ? 'mid' : 'bad';
  return '';
}

function profileCard(p) {
  const t = p.traits || {};
  const name = t.name || [t.firstName || t.first_name, t.lastName || t.last_name].filter(Boolean).join(' ');
  const scores = Object.entries(p.latest_scores || {});
  return h('div', { class: 'profile', id: 'profile' },
    card(name || p.customer_id,
      h('p', { class: 'muted' }, 'customer ', h('code', {}, p.customer_id), t.email ? ' · ' + t.email : ''),
      h('div', { class: 'chips' }, p.ids.map((i) => h('span', { class: 'chip id' }, i))),
      kv([
        ['First seen', fmt.dateTime(p.first_seen_ms)], ['Last seen', fmt.dateTime(p.last_seen_ms)],
        ['Events', fmt.int(p.events)], ['Sessions', fmt.int(p.sessions)],
        ['Orders', fmt.int(p.orders)], ['Revenue', fmt.money(p.revenue)],
        ['Channels', h('span', { class: 'chips' }, (p.channels || []).map(channelChip))],
        ['Sources', (p.sources || []).join(', ') || '–'],
        ['Open tickets', (p.open_tickets || []).length ? p.open_tickets.join(', ') : 'none'],
      ])),
    card('Latest survey answers', scores.length
      ? h('div', { class: 'scores' }, scores.map(([k, v]) => h('div', { class: 'score ' + scoreClass(k, v.score) },
        h('b', {}, fmt.num(v.score, k === 'ces' ? 1 : 0)), h('span', {}, k.toUpperCase()), h('small', {}, fmt.date(v.ts_ms)))))
      : empty('No NPS, CSAT or CES answers yet.')),
    extensionsCard(p.extensions),
    Object.keys(t).length ? card('Traits', kv(Object.entries(t).map(([k, v]) => [k, typeof v === 'object' ? JSON.stringify(v) : String(v)]))) : null);
}

// extensionsCard shows what the scores module adds: health, churn risk,
// reasons and any other fields.
function extensionsCard(ext) {
  ext = Object.fromEntries(Object.entries(ext || {}).filter(([, v]) => v != null));
  if (!Object.keys(ext).length) {
    return card('Scores', empty('No health score yet.', 'Scores appear after the processor’s scorer has run for this customer.'));
  }
  const blocks = [];
  for (const [name, v] of Object.entries(ext)) {
    if (!v || typeof v !== 'object') { blocks.push(kv([[name, String(v)]])); continue; }
    const health = v.health ?? v.health_score;
    const risk = v.churn_risk ?? v.risk;
    const reasons = v.churn_reasons ?? v.reasons ?? [];
    const rest = Object.entries(v).filter(([k, x]) => x !== '' && !['health', 'health_score', 'churn_risk', 'risk', 'churn_reasons', 'reasons', 'churn_factors'].includes(k));
    blocks.push(h('div', { class: 'ext' },
      health != null ? h('div', { class: 'health' }, h('span', {}, 'Health ', h('b', {}, fmt.num(health, 0)), ' / 100'),
        h('div', { class: 'gauge' }, h('i', { style: { width: Math.max(0, Math.min(100, health)) + '%' }, class: health >= 70 ? 'good' : health >= 40 ? 'mid' : 'bad' }))) : null,
      risk ? h('p', {}, 'Churn risk ', h('span', { class: 'risk ' + risk }, risk)) : null,
      Array.isArray(reasons) && reasons.length ? h('ul', { class: 'reasons' }, reasons.map((r) => h('li', {}, typeof r === 'string' ? r : r.text || r.reason || JSON.stringify(r)))) : null,
      rest.length ? kv(rest.map(([k, x]) => [k.replaceAll('_', ' '), x == null || (x === -1 && k.includes('days')) ? '–' : Array.isArray(x) ? x.join('; ') : typeof x === 'object' ? JSON.stringify(x) : String(x)])) : null));
  }
  return card('Scores and reasons', blocks);
}

export function renderTimeline(el, id, t, tq) {
  if (!t.sessions || !t.sessions.length) {
    el.append(empty(tq.channel ? `No events on the ${tq.channel} channel.` : 'No events for this customer.'));
    return;
  }
  el.append(h('p', { class: 'muted' }, `${fmt.int(t.count)} events${tq.channel ? ' on ' + tq.channel : ''}, grouped by session, oldest first.`));
  for (const s of t.sessions) el.append(sessionBlock(s));
  if (t.next_cursor) {
    const more = h('button', { type: 'button', class: 'secondary' }, 'Load more events');
    more.addEventListener('click', async () => {
      more.disabled = true;
      const next = await get('/customers/' + encodeURIComponent(id) + '/timeline', { ...tq, cursor: t.next_cursor });
      more.remove();
      renderTimeline(el, id, next, tq);
    });
    el.append(more);
  }
}

function sessionBlock(s) {
  const dur = (s.end_ms - s.start_ms) / 1000;
  return h('div', { class: 'session', dataset: { session: s.session_id || '' } },
    h('div', { class: 'session-head' },
      h('b', {}, s.session_id ? 'Session' : 'Outside sessions'), ' ', fmt.dateTime(s.start_ms), dur > 0 ? ` · ${fmt.duration(dur)}` : '',
      h('span', { class: 'chips' }, (s.channels || []).map(channelChip))),
    h('ol', { class: 'events' }, s.events.map(eventItem)));
}

function eventItem(e) {
  const title = e.event || (e.name ? `${e.type}: ${e.name}` : e.type);
  const survey = SURVEYS[e.event];
  const negative = e.signal === 'negative' || e.signal_weight < 0 || NEGATIVE_EVENTS.has(e.event);
  const positive = !negative && (e.signal === 'positive' || e.signal_weight > 0);
  const cls = ['event'];
  if (negative) cls.push('negative');
  if (positive) cls.push('positive');
  if (survey) cls.push('survey', scoreClass(survey, e.score));
  const details = [];
  if (e.page_path) details.push(e.page_path);
  if (e.touchpoint) details.push('touchpoint ' + e.touchpoint);
  if (e.order_id) details.push(`order ${e.order_id}` + (e.revenue ? ` · ${fmt.money(e.revenue, e.currency)}` : ''));
  if (e.ticket_id) details.push('ticket ' + e.ticket_id);
  details.push('via ' + e.source);
  let props = null;
  if (e.properties && Object.keys(e.properties).length) {
    props = h('details', {}, h('summary', {}, 'properties'), h('pre', {}, JSON.stringify(e.properties, null, 2)));
  }
  return h('li', { class: cls.join(' '), dataset: { channel: e.channel || '', event: title } },
    channelBadge(e.channel),
    h('div', { class: 'ev' },
      h('div', {}, h('span', { class: 'time' }, fmt.time(e.ts_ms)), ' ', h('b', {}, title),
        survey && e.score != null ? h('span', { class: 'answer' }, `${survey} ${fmt.num(e.score, 0)}`) : null,
        negative ? h('span', { class: 'flag' }, 'negative experience') : null,
        positive ? h('span', { class: 'flag ok' }, 'positive') : null),
      survey && e.properties && e.properties.comment ? h('q', { class: 'comment' }, String(e.properties.comment)) : null,
      h('div', { class: 'muted small' }, details.join(' · ')),
      props));
}
