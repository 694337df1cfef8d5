// Package erasuretest holds the acceptance tests of GDPR erasure across
// the running services (issue 18). It has no non-test code.
//
// TestErasureUnderTrafficIntegration builds the collector, processor (with
// the scorer every second and alerts on Kafka) and query service, runs them
// as subprocesses against the dev broker and a fresh ClickHouse database,
// and erases a customer while a sender keeps posting their events every
// 50 ms: once the receipt is returned, no String or Array(String) column of
// any table of the database (found through system.columns, the erasure's
// own records aside) holds any of their ids, e-mail, name or phone, the
// collector refuses their events, no alert of theirs is published, and the
// next 30 s add nothing.
package erasuretest
