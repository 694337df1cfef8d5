// experience.js: NPS/CSAT/CES over time, per touchpoint and channel with n,
// the worst touchpoints and service times per channel.
import { h, card, empty, fmt, field, select, CHANNELS } from './dom.js';
import { get } from './api.js';
import { lineChart, hbars, colour } from './charts.js';

const METRICS = [['nps', 'NPS (−100…100)'], ['csat', 'CSAT (% satisfied)'], ['ces', 'CES (1–7)'], ['experience', 'Experience signal']];
const RANGE = { nps: [-100, 100], csat: [0, 100], ces: [1, 7] };

function controls(q) {
  const metric = select('metric', METRICS, q.metric);
  const grain = select('grain', [['day', 'day'], ['week', 'week'], ['month', 'month']], q.grain);
  const minN = h('input', { type: 'number', name: 'min_n', min: 0, value: q.min_n, class: 'narrow' });
  const form = h('form', { class: 'card row', id: 'experience-form' }, field('Metric', metric), field('Period', grain),
    field('Minimum answers (n)', minN), h('button', { type: 'submit' }, 'Show'));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    location.hash = '#/experience?' + new URLSearchParams({ metric: metric.value, grain: grain.value, min_n: minN.value });
  });
  return form;
}

function groupBars(groups, metric, colourOf) {
  const [lo, hi] = RANGE[metric] || [undefined, undefined];
  return hbars(groups.map((g, i) => ({
    label: g.key || '(none)', value: g.score, faded: !g.sufficient,
    note: `n=${g.n}${g.sufficient ? '' : ' (few)'}`, colour: colourOf ? colourOf(g.key, i) : colour(0),
  })), { min: lo, max: hi, width: 520 });
}

function groupTable(groups, id) {
  return h('table', { class: 'data', id },
    h('thead', {}, h('tr', {}, ['Group', 'Score', 'n', 'Enough answers'].map((c) => h('th', {}, c)))),
    h('tbody', {}, groups.map((g) => h('tr', {}, h('td', {}, g.key || '(none)'), h('td', { class: 'num' }, fmt.num(g.score)),
      h('td', { class: 'num' }, fmt.int(g.n)), h('td', {}, g.sufficient ? 'yes' : 'no')))));
}

export async function experienceView(view, _args, params) {
  const q = { metric: params.get('metric') || 'nps', grain: params.get('grain') || 'week', min_n: params.get('min_n') || '1' };
  view.append(h('h1', {}, 'Experience'), controls(q));
  const base = { metric: q.metric, min_n: q.min_n };
  const [period, touch, chan, worst, service, journeys, ...overall] = await Promise.all([
    get('/experience', { ...base, by: 'period', grain: q.grain }),
    get('/experience', { ...base, by: 'touchpoint' }),
    get('/experience', { ...base, by: 'channel' }),
    get('/experience/touchpoints/worst', { ...base, limit: 10 }),
    get('/service'),
    get('/experience/journeys', { depth: 3, limit: 10 }),
    ...['nps', 'csat', 'ces'].map((m) => get('/experience', { metric: m, by: 'channel', min_n: 0 })),
  ]);
  view.append(tiles(overall));
  const label = METRICS.find(([m]) => m === q.metric)[1];
  const pts = (period.groups || []).slice().sort((a, b) => (a.key < b.key ? -1 : 1)).map((g) => ({ x: g.key, y: g.score, n: g.n }));
  const [lo, hi] = RANGE[q.metric] || [];
  view.append(card(`${label} over time, per ${q.grain}`, pts.length ? lineChart(pts, { yLabel: label, yMin: lo, yMax: hi }) : empty('No answers in this period yet.')));
  const chanColour = (k, i) => (CHANNELS[k] ? CHANNELS[k][0] : colour(i));
  view.append(h('div', { class: 'two even' },
    card('Per touchpoint', touch.groups && touch.groups.length ? [groupBars(touch.groups, q.metric), groupTable(touch.groups, 'exp-touchpoints')] : empty('No touchpoints with answers.')),
    card('Per channel', chan.groups && chan.groups.length ? [groupBars(chan.groups, q.metric, chanColour), groupTable(chan.groups, 'exp-channels')] : empty('No channels with answers.'))));
  view.append(card('Worst touchpoints', worst.groups && worst.groups.length
    ? h('ol', { class: 'worst', id: 'worst-touchpoints' }, worst.groups.map((g) => h('li', { class: g.sufficient ? '' : 'muted' },
      h('b', {}, g.key || '(none)'), ` ${fmt.num(g.score)} (n=${g.n})`, g.sufficient ? '' : ' – too few answers to be sure')))
    : empty('No touchpoint has answers yet.')));
  view.append(journeysCard(journeys));
  view.append(serviceCard(service));
}

// tiles shows NPS, CSAT and CES over all answers: the n-weighted mean of
// the per-channel figures, which is exact for all three.
function tiles(reports) {
  const names = { nps: ['NPS', 0, (v) => (v >= 30 ? 'good' : v >= 0 ? 'mid' : 'bad')], csat: ['CSAT %', 0, (v) => (v >= 80 ? 'good' : v >= 60 ? 'mid' : 'bad')], ces: ['CES', 1, (v) => (v >= 5 ? 'good' : v >= 4 ? 'mid' : 'bad')] };
  return h('div', { class: 'tiles', id: 'exp-tiles' }, reports.map((r) => {
    const [label, digits, cls] = names[r.metric];
    const n = (r.groups || []).reduce((s, g) => s + g.n, 0);
    const v = n ? r.groups.reduce((s, g) => s + g.score * g.n, 0) / n : null;
    return h('div', { class: 'score ' + (v == null ? '' : cls(v)), dataset: { metric: r.metric } },
      h('b', {}, v == null ? '–' : fmt.num(v, digits)), h('span', {}, label), h('small', {}, `n=${fmt.int(n)}`));
  }));
}

// journeysCard compares the journeys before detractor and promoter answers.
function journeysCard(j) {
  const rows = (j && j.compared) || [];
  if (!rows.length) return card('Journeys before NPS answers', empty('No NPS answers with a journey before them yet.'));
  const share = (v, cls) => h('span', { class: 'share ' + cls }, h('span', { class: 'track' }, h('i', { style: { width: (v * 100).toFixed(1) + '%' } })), fmt.pct(v, 0));
  return card('Journeys before NPS answers (last 3 steps), most detractor-leaning first',
    h('table', { class: 'data', id: 'exp-journeys' },
      h('thead', {}, h('tr', {}, ['Journey', 'Detractors', 'Share of detractors', 'Promoters', 'Share of promoters'].map((c) => h('th', {}, c)))),
      h('tbody', {}, rows.map((r) => h('tr', {}, h('td', {}, r.steps.join(' → ')),
        h('td', { class: 'num' }, fmt.int(r.detractors)), h('td', {}, share(r.detractor_share, 'bad')),
        h('td', { class: 'num' }, fmt.int(r.promoters)), h('td', {}, share(r.promoter_share, 'good')))))));
}

function serviceCard(rep) {
  const ch = rep.channels || [];
  if (!ch.length) return card('Service times per channel', empty('No tickets in this period.'));
  const bars = hbars(ch.filter((c) => c.median_response_seconds != null).map((c, i) => ({
    label: c.channel, value: c.median_response_seconds / 60, note: `target ${fmt.duration(c.target_response_seconds)}`,
    colour: c.median_response_seconds <= c.target_response_seconds ? '#059669' : '#dc2626', i,
  })), { format: (v) => fmt.duration(v * 60) });
  return card('Service times per channel',
    h('p', { class: 'muted' }, 'Median first response per channel; green bars meet the target.'), bars,
    h('table', { class: 'data', id: 'service-table' },
      h('thead', {}, h('tr', {}, ['Channel', 'Opened', 'Replied', 'Resolved', 'Unresolved', 'Median response', 'Target', 'Within target', 'Median resolution', 'Target', 'Within target'].map((c) => h('th', {}, c)))),
      h('tbody', {}, ch.map((c) => h('tr', {}, h('td', {}, c.channel), h('td', { class: 'num' }, fmt.int(c.opened)), h('td', { class: 'num' }, fmt.int(c.replied)),
        h('td', { class: 'num' }, fmt.int(c.resolved)), h('td', { class: 'num' }, fmt.int(c.unresolved)),
        h('td', { class: 'num' }, fmt.duration(c.median_response_seconds)), h('td', { class: 'num' }, fmt.duration(c.target_response_seconds)),
        h('td', { class: 'num' }, fmt.pct(c.response_within_target)), h('td', { class: 'num' }, fmt.duration(c.median_resolution_seconds)),
        h('td', { class: 'num' }, fmt.duration(c.target_resolution_seconds)), h('td', { class: 'num' }, fmt.pct(c.resolution_within_target)))))));
}
