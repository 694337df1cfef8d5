// dom.js: element builders and formatting. Data is only ever set as text,
// never parsed as HTML.
const SVGNS = 'http://www.w3.org/2000/svg';

function build(el, attrs, kids) {
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v == null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k === 'style') for (const [p, pv] of Object.entries(v)) el.style.setProperty(p, pv); // CSSOM: allowed by the CSP
    else el.setAttribute(k === 'className' ? 'class' : k, v === true ? '' : String(v));
  }
  for (const kid of kids.flat(Infinity)) {
    if (kid == null || kid === false) continue;
    el.append(kid instanceof Node ? kid : String(kid));
  }
  return el;
}

// h builds an HTML element: h('a', {href: '#'}, 'text', child...).
export function h(tag, attrs, ...kids) { return build(document.createElement(tag), attrs, kids); }

// svg builds an SVG element.
export function svg(tag, attrs, ...kids) { return build(document.createElementNS(SVGNS, tag), attrs, kids); }

export function empty(message, hint) {
  return h('div', { class: 'empty', role: 'status' }, h('p', {}, message), hint ? h('p', { class: 'muted' }, hint) : null);
}

export function errorBox(err) {
  const msg = err && err.message ? err.message : String(err);
  const code = err && err.code ? err.code : '';
  return h('div', { class: 'error', role: 'alert' }, h('strong', {}, 'Something went wrong'), h('p', {}, msg), code ? h('p', { class: 'muted' }, 'code: ' + code) : null);
}

export function card(title, ...kids) {
  return h('section', { class: 'card' }, title ? h('h2', {}, title) : null, ...kids);
}

// field builds a labelled form control.
export function field(label, control) { return h('label', { class: 'field' }, h('span', {}, label), control); }

export function select(name, options, value) {
  return h('select', { name }, options.map(([v, label]) => h('option', { value: v, selected: String(v) === String(value) }, label)));
}

const nf = new Intl.NumberFormat('en-US');
export const fmt = {
  int: (n) => (n == null ? '–' : nf.format(n)),
  num: (n, d = 1) => (n == null || Number.isNaN(n) ? '–' : Number(n).toFixed(d)),
  pct: (r, d = 1) => (r == null || Number.isNaN(r) ? '–' : (r * 100).toFixed(d) + '%'),
  money: (n, cur) => (n == null ? '–' : Number(n).toFixed(2) + (cur ? ' ' + cur : '')),
  date: (ms) => (ms ? new Date(ms).toISOString().slice(0, 10) : '–'),
  dateTime: (ms) => (ms ? new Date(ms).toISOString().slice(0, 16).replace('T', ' ') + ' UTC' : '–'),
  time: (ms) => (ms ? new Date(ms).toISOString().slice(11, 19) : '–'),
  duration(sec) {
    if (sec == null) return '–';
    const s = Math.abs(sec);
    if (s < 90) return Math.round(sec) + ' s';
    if (s < 5400) return (sec / 60).toFixed(1) + ' min';
    if (s < 172800) return (sec / 3600).toFixed(1) + ' h';
    return (sec / 86400).toFixed(1) + ' d';
  },
};

// CHANNELS gives each touchpoint channel a colour and a short label.
export const CHANNELS = {
  web: ['#2563eb', 'WEB'], app: ['#7c3aed', 'APP'], phone: ['#059669', 'TEL'], email: ['#d97706', 'MAIL'],
  chat: ['#0891b2', 'CHAT'], store: ['#be185d', 'SHOP'], letter: ['#92400e', 'POST'], social: ['#db2777', 'SOC'],
  support: ['#4b5563', 'SUP'], crm: ['#0f766e', 'CRM'], survey: ['#ca8a04', 'SURV'],
};

export function channelBadge(ch) {
  const [color, label] = CHANNELS[ch] || ['#6b7280', (ch || '?').slice(0, 4).toUpperCase()];
  return h('span', { class: 'chan', style: { '--c': color }, title: ch || 'unknown channel' }, label);
}

export function channelChip(ch) {
  const [color] = CHANNELS[ch] || ['#6b7280'];
  return h('span', { class: 'chip', style: { '--c': color } }, ch || 'unknown');
}

// customerLink links to the customer view.
export function customerLink(id) { return h('a', { href: '#/customer/' + encodeURIComponent(id), class: 'cust' }, id); }

// KNOWN_EVENTS are the reserved event names to cem, offered as suggestions.
export const KNOWN_EVENTS = ['page', 'screen', 'identify', 'Product Viewed', 'Cart Viewed', 'Checkout Started', 'Order Completed',
  'Order Refunded', 'Ticket Opened', 'Ticket Replied', 'Ticket Resolved', 'NPS Submitted', 'CSAT Submitted', 'CES Submitted',
  'Feedback Given', 'Contract Started', 'Contract Renewed', 'Contract Cancelled', 'Loyalty Joined', 'Points Earned',
  'Points Redeemed', 'Referral Sent', 'Referral Converted', 'Error Shown', 'Payment Failed', 'Complaint Filed', 'Reward Granted'];

export function eventList(id) { return h('datalist', { id }, KNOWN_EVENTS.map((e) => h('option', { value: e }))); }
