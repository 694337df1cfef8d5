// The page of the collector's browser test (internal/sdktest): the stock
// SDKs from npm, bundled with esbuild. ?sdk= picks the scenario, ?api= the
// collector (or the test's fault proxy in front of it), ?key= the write key,
// ?token= a string put into every event so that the test can find them.
// A journey has two phases: anonymous browsing (a page and the tracks),
// then, when the test calls window.cemLogin(), identify and the tracks after
// it. window.cemDone is set when a phase's calls returned, window.cemError
// on any error; the test waits for the events in ClickHouse in between (the
// SDK retries in the page meanwhile).
import { AnalyticsBrowser } from '@segment/analytics-next'
import { RudderAnalytics } from '@rudderstack/analytics-js/bundled'

const q = new URLSearchParams(location.search)
const api = q.get('api')
const key = q.get('key')
const token = q.get('token')
const tracks = Number(q.get('tracks') || 20)
const after = Number(q.get('after') || 3)

// Segment analytics-next, loaded through the collector's settings endpoint:
// writeKey and cdnURL only; batching=true sends batches of 10 to /v1/b.
async function segment (batching) {
  const options = batching
    ? { integrations: { 'Segment.io': { deliveryStrategy: { strategy: 'batching', config: { size: 10, timeout: 300 } } } } }
    : undefined
  const [analytics] = await AnalyticsBrowser.load({ writeKey: key, cdnURL: api }, options)
  await analytics.page('Home', { token })
  const calls = []
  for (let i = 0; i < tracks; i++) calls.push(analytics.track('Step Viewed', { token, step: i }))
  await Promise.all(calls)
  return async () => {
    await analytics.identify(`ajs-user-${token}`, { token, email: `${token}@example.com` })
    await Promise.all(Array.from({ length: after }, (_, i) => analytics.track('Order Reviewed', { token, step: i })))
  }
}

// RudderStack JS v3 (bundled plugins), loaded through the collector's
// sourceConfig endpoint; beacon=1 sends with navigator.sendBeacon to
// /beacon/v1/batch.
async function rudderstack (beacon) {
  const rs = new RudderAnalytics()
  rs.load(key, api, {
    configUrl: api,
    plugins: beacon ? ['BeaconQueue'] : ['XhrQueue'],
    useBeacon: beacon,
    beaconQueueOptions: { flushQueueInterval: 500 },
    polyfillIfRequired: false,
    loadIntegration: false,
    logLevel: 'WARN'
  })
  await new Promise((resolve) => rs.ready(resolve))
  rs.page('Home', { token })
  for (let i = 0; i < tracks; i++) rs.track('Step Viewed', { token, step: i })
  return async () => {
    rs.identify(`rs-user-${token}`, { token, email: `${token}@example.com` })
    for (let i = 0; i < after; i++) rs.track('Order Reviewed', { token, step: i })
  }
}

// A page's own navigator.sendBeacon: text/plain, writeKey in the body.
async function sendBeacon () {
  const ev = { writeKey: key, anonymousId: `beacon-anon-${token}`, event: 'Left Page', properties: { token } }
  if (!navigator.sendBeacon(`${api}/v1/t`, JSON.stringify(ev))) throw new Error('sendBeacon refused')
}

const scenarios = { segment: () => segment(false), 'segment-batching': () => segment(true), rudderstack: () => rudderstack(false), 'rudderstack-beacon': () => rudderstack(true), beacon: sendBeacon }
window.addEventListener('error', (e) => { window.cemError = String(e.message) })
const fail = (err) => { window.cemError = String(err && err.stack ? err.stack : err) }
scenarios[q.get('sdk')]().then((login) => {
  window.cemDone = 'anonymous'
  window.cemLogin = () => { login().then(() => { window.cemDone = 'done' }, fail) }
}, fail)
