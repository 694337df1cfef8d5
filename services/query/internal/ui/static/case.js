// case.js: one alert's case (GET /alerts/{id}): what happened, the
// customer's journey around the trigger (the timeline from a day before to
// a day after), the case's state and owner with the form to change them
// (POST /alerts/{id}/case; a token with the write scope) and every change
// with who and when.
import { h, card, field, select, fmt, customerLink, channelChip } from './dom.js';
import { get, post } from './api.js';
import { renderTimeline } from './customer.js';
import { reasonLabel, STATES } from './alerts.js';

const DAY = 86400000;

function changeForm(a, onDone) {
  const state = select('state', [['', '(keep ' + a.state + ')'], ...STATES.filter(([k]) => k !== a.state)], '');
  const owner = h('input', { type: 'text', name: 'owner', value: '', placeholder: a.owner || 'nobody yet' });
  const note = h('textarea', { name: 'note', rows: 2, placeholder: 'what was done or agreed' });
  const status = h('p', { class: 'muted', id: 'case-status', role: 'status' });
  const form = h('form', { class: 'card row', id: 'case-form' }, field('New state', state), field('Owner', owner), field('Note', note),
    h('button', { type: 'submit' }, 'Save'), status);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const body = {};
    if (state.value) body.state = state.value;
    if (owner.value.trim()) body.owner = owner.value.trim();
    if (note.value.trim()) body.note = note.value.trim();
    status.textContent = 'Saving…';
    try {
      await post('/alerts/' + encodeURIComponent(a.alert_id) + '/case', body);
      onDone();
    } catch (err) {
      status.textContent = err.message;
      status.className = 'error';
    }
  });
  return form;
}

function history(changes) {
  if (!changes.length) return h('p', { class: 'muted' }, 'No change yet: the case is open.');
  return h('ol', { class: 'case-changes', id: 'case-history' }, changes.map((c) => h('li', { dataset: { state: c.state } },
    h('b', {}, c.state), c.owner ? ` · owner ${c.owner}` : '', ` · by ${c.actor} · ${fmt.dateTime(c.at_ms)}`,
    c.note ? h('q', { class: 'comment' }, c.note) : null)));
}

export async function caseView(view, args) {
  const id = args[0] || '';
  const { alert: a, changes } = await get('/alerts/' + encodeURIComponent(id));
  const from = a.trigger_ms - DAY;
  const to = Math.max(a.trigger_ms, a.raised_ms) + DAY;
  const tq = { from, to, limit: 200 };
  const timeline = await get('/customers/' + encodeURIComponent(a.customer_id) + '/timeline', tq);
  view.append(h('h1', {}, `${reasonLabel(a.reason)} · `, customerLink(a.customer_id)),
    h('section', { class: 'card', id: 'case-summary', dataset: { state: a.state, owner: a.owner, alert: a.alert_id } },
      h('p', {}, h('span', { class: 'state ' + a.state, id: 'case-state' }, a.state), ' ', a.owner ? `owner ${a.owner}` : 'no owner',
        a.channel ? h('span', { class: 'chips' }, channelChip(a.channel)) : null),
      h('p', {}, h('b', {}, a.message)),
      h('p', {}, 'Suggested action: ', a.action),
      h('p', { class: 'muted small' }, `raised ${fmt.dateTime(a.raised_ms)} · trigger ${fmt.dateTime(a.trigger_ms)} · severity ${a.severity} · alert ${a.alert_id}`)),
    changeForm(a, () => { location.hash = '#/case/' + encodeURIComponent(a.alert_id) + '?v=' + Date.now(); }),
    card('History', history(changes)));
  const tl = h('div', { class: 'timeline', id: 'case-journey' });
  renderTimeline(tl, a.customer_id, timeline, tq);
  view.append(card(`Journey around the trigger (${fmt.dateTime(from)} – ${fmt.dateTime(to)})`, tl));
}
