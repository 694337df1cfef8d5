// Usage: node send.mjs <collector-url> <write-key> <run-id>
// Sends one event of every call type with the official Segment Node SDK,
// flushes, and exits non-zero if the SDK reports an error.
import { Analytics } from '@segment/analytics-node'

const [host, writeKey, run] = process.argv.slice(2)
const analytics = new Analytics({ writeKey, host, flushAt: 6, flushInterval: 200, maxRetries: 2 })
let failed = null
analytics.on('error', (err) => { failed = err })

const anonymousId = `sdk-anon-${run}`
const userId = `sdk-user-${run}`
analytics.page({ anonymousId, name: 'Home', properties: { path: '/' } })
analytics.screen({ anonymousId, name: 'Cart' })
analytics.identify({ anonymousId, userId, traits: { email: `${run}@example.com` } })
analytics.track({ userId, event: 'Order Completed', properties: { order_id: `o-${run}`, revenue: 42.5, currency: 'EUR' } })
analytics.group({ userId, groupId: `g-${run}` })
analytics.alias({ userId, previousId: anonymousId })
await analytics.closeAndFlush({ timeout: 10000 })
if (failed) {
  console.error('sdk error:', failed)
  process.exit(1)
}
console.log('sent 6 events')
