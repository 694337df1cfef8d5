// charts.js: small SVG charts (bars, funnel, line, columns, horizontal bars,
// Sankey).
import { svg, h, fmt } from './dom.js';

const PALETTE = ['#2563eb', '#059669', '#d97706', '#7c3aed', '#db2777', '#0891b2', '#65a30d', '#dc2626', '#4b5563'];
export const colour = (i) => PALETTE[i % PALETTE.length];

function frame(w, hgt, label) {
  return svg('svg', { viewBox: `0 0 ${w} ${hgt}`, width: w, height: hgt, class: 'chart', role: 'img', 'aria-label': label, preserveAspectRatio: 'xMidYMid meet' });
}

// funnelChart draws one bar per step with its count and conversion; bars
// of steps with an onStep handler are clickable.
export function funnelChart(steps, onStep) {
  const gap = 56, W = Math.max(760, gap + steps.length * (120 + gap)), H = 300, top = 34, bottom = 40;
  const max = Math.max(1, ...steps.map((s) => s.customers));
  const bw = Math.min(150, (W - gap * (steps.length + 1)) / steps.length);
  const plot = H - top - bottom;
  const g = frame(W, H, 'funnel conversion by step');
  steps.forEach((s, i) => {
    const x = gap + i * (bw + gap);
    const bh = Math.max(2, (s.customers / max) * plot);
    const y = top + plot - bh;
    const clickable = onStep && i < steps.length - 1;
    const bar = svg('rect', { x, y, width: bw, height: bh, rx: 4, fill: colour(0), class: clickable ? 'bar click' : 'bar', dataset: { step: s.step } },
      svg('title', {}, `${s.event}: ${s.customers} customers` + (clickable ? ' (click to list who dropped after this step)' : '')));
    if (clickable) bar.addEventListener('click', () => onStep(s.step));
    g.append(svg('rect', { x, y: top, width: bw, height: plot, rx: 4, fill: '#e5e7eb' }), bar);
    g.append(svg('text', { x: x + bw / 2, y: y - 8, 'text-anchor': 'middle', class: 'v' }, `${fmt.int(s.customers)} · ${fmt.pct(s.conversion_from_first, 0)}`));
    g.append(svg('text', { x: x + bw / 2, y: H - bottom + 18, 'text-anchor': 'middle', class: 'l' }, `${s.step}. ${trunc(s.event, 18)}`));
    if (i < steps.length - 1) {
      const next = steps[i + 1];
      const lost = s.customers - next.customers;
      const mid = x + bw + gap / 2;
      g.append(svg('text', { x: mid, y: top + plot / 2, 'text-anchor': 'middle', class: 'drop' }, lost > 0 ? `−${fmt.int(lost)}` : '0'),
        svg('text', { x: mid, y: top + plot / 2 + 15, 'text-anchor': 'middle', class: 'muted' }, s.customers ? fmt.pct(lost / s.customers, 0) : ''));
    }
  });
  g.append(svg('text', { x: 4, y: H - 4, class: 'muted' }, 'red: customers lost between steps (share of the step before)'));
  return g;
}

// lineChart draws series of {x: label, y: value, n} points.
export function lineChart(points, { yLabel = '', yMin, yMax } = {}) {
  const W = 760, H = 260, L = 46, R = 16, T = 16, B = 40;
  const g = frame(W, H, yLabel + ' over time');
  if (!points.length) return g;
  const ys = points.map((p) => p.y);
  const lo = yMin ?? Math.min(0, ...ys), hi = yMax ?? Math.max(...ys, lo + 1);
  const sx = (i) => L + (points.length === 1 ? (W - L - R) / 2 : (i * (W - L - R)) / (points.length - 1));
  const sy = (v) => T + (H - T - B) * (1 - (v - lo) / (hi - lo || 1));
  yGrid(g, lo, hi, sy, L, W - R, (v) => fmt.num(v, 0));
  if (lo < 0 && hi > 0) g.append(svg('line', { x1: L, x2: W - R, y1: sy(0), y2: sy(0), class: 'zero' }));
  g.append(svg('polyline', { points: points.map((p, i) => `${sx(i)},${sy(p.y)}`).join(' '), class: 'line' }));
  const every = Math.ceil(points.length / 10);
  points.forEach((p, i) => {
    g.append(svg('circle', { cx: sx(i), cy: sy(p.y), r: 4, class: 'dot' }, svg('title', {}, `${p.x}: ${fmt.num(p.y)} (n=${p.n})`)));
    if (i % every === 0) g.append(svg('text', { x: sx(i), y: H - B + 18, 'text-anchor': 'middle', class: 'l' }, p.x));
    if (points.length <= 16) g.append(svg('text', { x: sx(i), y: H - B + 32, 'text-anchor': 'middle', class: 'muted' }, 'n=' + p.n));
  });
  return g;
}

// yGrid draws five horizontal grid lines from lo to hi with their labels.
function yGrid(g, lo, hi, sy, x1, x2, label) {
  for (let k = 0; k <= 4; k++) {
    const v = lo + ((hi - lo) * k) / 4;
    g.append(svg('line', { x1, x2, y1: sy(v), y2: sy(v), class: 'grid' }), svg('text', { x: x1 - 6, y: sy(v) + 4, 'text-anchor': 'end', class: 'l' }, label(v)));
  }
}

// columns draws one vertical bar per {x: label, y: count} point, from 0;
// a point with y null keeps its slot empty (e.g. a day without data).
export function columns(points, { label = 'counts', W = 760, H = 220 } = {}) {
  const L = 52, R = 12, T = 14, B = 34;
  const g = frame(W, H, label);
  if (!points.length) return g;
  const ys = points.map((p) => p.y).filter((y) => y != null);
  const hi = Math.max(4, Math.ceil(Math.max(0, ...ys) / 4) * 4); // multiple of 4: whole-number grid labels
  const sy = (v) => T + (H - T - B) * (1 - v / hi);
  yGrid(g, 0, hi, sy, L, W - R, (v) => fmt.int(v));
  const slot = (W - L - R) / points.length;
  const bw = Math.max(1, Math.min(48, slot * 0.7));
  const every = Math.ceil(points.length / Math.max(1, Math.floor((W - L - R) / 80)));
  points.forEach((p, i) => {
    const cx = L + slot * (i + 0.5);
    if (p.y != null) {
      g.append(svg('rect', { x: cx - bw / 2, y: sy(p.y), width: bw, height: Math.max(p.y > 0 ? 1 : 0, sy(0) - sy(p.y)), rx: Math.min(3, bw / 4), class: 'col', dataset: { x: p.x } },
        svg('title', {}, `${p.x}: ${fmt.int(p.y)}`)));
      if (points.length <= 16) g.append(svg('text', { x: cx, y: sy(p.y) - 5, 'text-anchor': 'middle', class: 'v' }, fmt.int(p.y)));
    }
    if (i % every === 0) g.append(svg('text', { x: cx, y: H - B + 18, 'text-anchor': 'middle', class: 'l' }, p.x));
  });
  return g;
}

// hbars draws horizontal bars of {label, value, note, colour} rows; values
// may be negative (NPS), drawn from a zero line.
export function hbars(rows, { min, max, width = 760, format = (v) => fmt.num(v) } = {}) {
  const W = width, row = 26, L = Math.min(180, width * 0.3), R = Math.min(220, width * 0.3);
  const H = rows.length * row + 10;
  const g = frame(W, H, 'bar chart');
  const lo = min ?? Math.min(0, ...rows.map((r) => r.value));
  const hi = max ?? Math.max(1, ...rows.map((r) => r.value));
  const sx = (v) => L + ((W - L - R) * (v - lo)) / (hi - lo || 1);
  rows.forEach((r, i) => {
    const y = 5 + i * row;
    const x0 = sx(Math.max(lo, Math.min(0, hi))), x1 = sx(r.value);
    g.append(svg('text', { x: L - 8, y: y + 16, 'text-anchor': 'end', class: 'l' }, trunc(r.label, Math.floor(L / 7))));
    g.append(svg('rect', { x: Math.min(x0, x1), y: y + 3, width: Math.max(1, Math.abs(x1 - x0)), height: row - 8, rx: 3, fill: r.colour || colour(0), opacity: r.faded ? 0.35 : 1 },
      svg('title', {}, `${r.label}: ${format(r.value)}${r.note ? ' ' + r.note : ''}`)));
    g.append(svg('text', { x: W - R + 8, y: y + 16, class: 'v' }, format(r.value) + (r.note ? '  ' + r.note : '')));
  });
  return g;
}

// sankey draws nodes {id, step, position} and links {source, target, value}
// as columns by position.
export function sankey(nodes, links) {
  const W = 980, pad = 8;
  const cols = [...new Set(nodes.map((n) => n.position))].sort((a, b) => a - b);
  const flow = new Map(nodes.map((n) => [n.id, { n, in: 0, out: 0 }]));
  for (const l of links) {
    if (flow.has(l.source)) flow.get(l.source).out += l.value;
    if (flow.has(l.target)) flow.get(l.target).in += l.value;
  }
  const val = (id) => { const f = flow.get(id); return Math.max(f.in, f.out, 1); };
  const byCol = cols.map((c) => nodes.filter((n) => n.position === c).sort((a, b) => val(b.id) - val(a.id)));
  const maxCol = Math.max(...byCol.map((c) => c.length));
  const colTotals = byCol.map((c) => c.reduce((s, n) => s + val(n.id), 0));
  const H = Math.max(220, maxCol * 34 + 40);
  const scale = Math.min(...colTotals.map((t, i) => (H - 30 - pad * byCol[i].length) / t));
  const nw = 14, colW = cols.length > 1 ? (W - 170 - nw) / (cols.length - 1) : 0;
  const pos = new Map();
  byCol.forEach((col, ci) => {
    let y = 20;
    for (const n of col) {
      const hgt = Math.max(3, val(n.id) * scale);
      pos.set(n.id, { x: 10 + ci * colW, y, h: hgt, outY: y, inY: y });
      y += hgt + pad;
    }
  });
  const g = frame(W, H, 'paths as a Sankey diagram');
  const sorted = [...links].sort((a, b) => b.value - a.value);
  for (const l of sorted) {
    const s = pos.get(l.source), t = pos.get(l.target);
    if (!s || !t) continue;
    const w = Math.max(1, l.value * scale);
    const x0 = s.x + nw, x1 = t.x, y0 = s.outY + w / 2, y1 = t.inY + w / 2;
    s.outY += w; t.inY += w;
    const mx = (x0 + x1) / 2;
    g.append(svg('path', { d: `M${x0},${y0} C${mx},${y0} ${mx},${y1} ${x1},${y1}`, class: 'link', 'stroke-width': w },
      svg('title', {}, `${flow.get(l.source).n.step} → ${flow.get(l.target).n.step}: ${l.value}`)));
  }
  for (const n of nodes) {
    const p = pos.get(n.id);
    g.append(svg('rect', { x: p.x, y: p.y, width: nw, height: p.h, fill: colour(n.position < 0 ? -n.position : n.position), rx: 2 },
      svg('title', {}, `${n.step}: ${val(n.id)}`)));
    g.append(svg('text', { x: p.x + nw + 4, y: p.y + Math.min(p.h / 2, 12) + 4, class: 'l' }, `${trunc(n.step, 22)} (${val(n.id)})`));
  }
  return g;
}

// heat returns a background colour for a rate in [0, 1].
export function heat(rate) {
  const a = Math.max(0, Math.min(1, rate));
  return `rgba(37, 99, 235, ${0.06 + a * 0.85})`;
}

export function legend(items) {
  return h('div', { class: 'legend' }, items.map(([c, label]) => h('span', {}, h('i', { style: { background: c } }), label)));
}

export function trunc(s, n) { s = String(s ?? ''); return s.length > n ? s.slice(0, n - 1) + '…' : s; }
