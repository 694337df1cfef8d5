// Package exactlyonce holds the acceptance tests of "one identity per event,
// whoever re-sends" (issue 16): the built binaries (dev broker, collector,
// processor, query service) run as subprocesses against the test ClickHouse,
// single node and the sharded cluster, and the tests re-send events through a
// restarted collector, a second collector and after the dedup window, post a
// dataset twice, let a client disconnect while the broker is frozen and retry,
// and kill -9 and freeze the dev broker under a client that
// retries every non-2xx; every event must be one row under FINAL and count
// once in the profiles, the scores and the timeline. It has no non-test code.
package exactlyonce
