// Package httpload posts Segment batches to an HTTP endpoint, open-loop at
// a target rate (latency measured from each request's intended start, so a
// slow server cannot hide queueing: no coordinated omission) or closed-loop
// with N connections, for a duration or an event count, and reports
// events/s and latency percentiles.
package httpload
