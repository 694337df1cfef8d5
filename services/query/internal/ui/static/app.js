// app.js: hash router, login and navigation of the journey explorer.
import { h, errorBox } from './dom.js';
import { token, request, ApiError } from './api.js';
import { customersView, customerView } from './customer.js';
import { funnelView } from './funnel.js';
import { experienceView } from './experience.js';
import { segmentsView, segmentView } from './segments.js';
import { retentionView } from './retention.js';
import { pathsView } from './paths.js';
import { alertsView } from './alerts.js';
import { caseView } from './case.js';

const routes = {
  login: loginView,
  customers: customersView,
  customer: customerView,
  funnels: funnelView,
  experience: experienceView,
  segments: segmentsView,
  segment: segmentView,
  retention: retentionView,
  paths: pathsView,
  alerts: alertsView,
  case: caseView,
};

// route parses location.hash: #/name/arg?k=v.
function route() {
  const [path, query] = location.hash.replace(/^#/, '').split('?');
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  return { name: parts[0] || 'customers', args: parts.slice(1), params: new URLSearchParams(query || '') };
}

let generation = 0;

async function render() {
  const gen = ++generation;
  let { name, args, params } = route();
  if (!token.get() && name !== 'login') {
    location.replace('#/login');
    return;
  }
  if (!routes[name]) name = 'notfound';
  const main = document.getElementById('main');
  document.getElementById('nav').hidden = name === 'login';
  for (const a of document.querySelectorAll('[data-nav]')) {
    a.classList.toggle('active', a.dataset.nav === name || (a.dataset.nav === 'customers' && name === 'customer') || (a.dataset.nav === 'segments' && name === 'segment') || (a.dataset.nav === 'alerts' && name === 'case'));
  }
  const view = h('section', { class: 'view', dataset: { view: name, state: 'loading', hash: location.hash } });
  main.replaceChildren(view);
  document.title = `${name} · cem journey explorer`;
  try {
    if (name === 'notfound') view.append(errorBox(new Error('No such page: ' + location.hash)));
    else await routes[name](view, args, params);
    if (gen === generation) view.dataset.state = 'ready';
  } catch (err) {
    if (gen !== generation) return;
    view.append(errorBox(err));
    view.dataset.state = 'error';
  }
}

async function loginView(view, _args, params) {
  const input = h('input', { type: 'password', name: 'token', id: 'token', autocomplete: 'current-password', required: true, placeholder: 'query API token' });
  const msg = h('div', { class: 'login-msg', role: 'status' });
  if (params.get('expired')) msg.append(h('p', { class: 'error' }, 'Your session ended or the token was rejected. Log in again.'));
  const form = h('form', { class: 'login card' },
    h('h1', {}, 'Log in'),
    h('p', { class: 'muted' }, 'Use a query token of this cem installation (CEM_QUERY_TOKENS). It is kept in this browser tab only.'),
    h('label', { class: 'field' }, h('span', {}, 'Token'), input),
    h('button', { type: 'submit', id: 'login-submit' }, 'Log in'), msg);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    msg.replaceChildren(h('p', { class: 'muted' }, 'Checking…'));
    const t = input.value.trim();
    try {
      await request('/segments', { auth: t });
      token.set(t);
      location.hash = '#/customers';
    } catch (err) {
      const text = err instanceof ApiError && err.status === 401 ? 'This token is not accepted by the query service.' : err.message;
      msg.replaceChildren(h('p', { class: 'error', id: 'login-error' }, text));
    }
  });
  view.append(form);
  input.focus();
}

document.getElementById('logout').addEventListener('click', () => {
  token.clear();
  location.hash = '#/login';
});
window.addEventListener('hashchange', render);
render();
