package app_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cemhq/cem/pkg/events"
	"github.com/cemhq/cem/pkg/itest"
)

// TestLongSessionRestartIntegration: a session of 25,000 events on one key
// keeps its true count and start across a processor restart followed by a
// replay of half its events (the committed offsets moved back), and the
// events after the restart continue it. The restore aggregates the stored
// events (no cap on their number, each event id once).
func TestLongSessionRestartIntegration(t *testing.T) {
	e := newEnv(t)
	b := newEvb("web")
	const n = 25000
	evs := make([]*events.Event, n)
	for i := range evs {
		evs[i] = b.ev(events.TypeTrack, "dev-long", "", float64(i)/60, named("Tick"), channel("web")) // one a second: ~7 h
	}
	p := e.start(e.config("cem-processor"))
	for i := 0; i < n; i += 2500 {
		e.produce(evs[i:min(i+2500, n)]...)
	}
	e.waitEvents(n)
	itest.Eventually(t, 30*time.Second, func() bool { return e.committed("cem-processor") == n }, "all committed")
	s := e.sessions("dev-long")
	require.Len(t, s, 1)
	require.Equal(t, uint64(n), s[0].Count)
	start := s[0].Start

	p.stop(t)
	e.rewind("cem-processor") // the first half is delivered again
	e.start(e.config("cem-processor"))
	more := []*events.Event{
		b.ev(events.TypeTrack, "dev-long", "", float64(n)/60, named("After"), channel("web")),
		b.ev(events.TypeTrack, "dev-long", "", float64(n+1)/60, named("After"), channel("web")),
	}
	e.produce(more...)
	e.waitEvents(n + 2)
	itest.Eventually(t, 60*time.Second, func() bool { return e.committed("cem-processor") == n+2 }, "replay and new events committed")

	s = e.sessions("dev-long")
	require.Len(t, s, 1, "the restarted processor continues the session")
	assert.Equal(t, uint64(n+2), s[0].Count, "every event once: no truncation, no replay counted twice")
	assert.Equal(t, start, s[0].Start, "the start survives the restart")
	assert.Equal(t, "web:After", s[0].Exit)
}

// TestResentEventsIntegration: events delivered again while the processor
// runs (a client retry after a collector restart: same id, a skew-corrected
// time a few ms off) are not counted twice in their sessions, whether the
// copy is of an older event, of the key's newest one, or in the same flush
// as the original. Session counts equal the distinct events.
func TestResentEventsIntegration(t *testing.T) {
	e := newEnv(t)
	b := newEvb("web")
	p := e.start(e.config("cem-processor"))
	var evs []*events.Event
	for k := range 20 {
		for i := range 10 {
			evs = append(evs, b.ev(events.TypeTrack, fmt.Sprintf("dev-%02d", k), "", float64(i*3), named("E"), channel("web")))
		}
	}
	e.produce(evs...)
	e.waitEvents(uint64(len(evs)))

	resend := func(ev *events.Event, shift time.Duration) *events.Event {
		c := *ev
		c.Timestamp = ev.Timestamp.Add(shift)
		return &c
	}
	var again []*events.Event
	for k := range 20 {
		mine := evs[k*10 : k*10+10]
		again = append(again,
			resend(mine[2], 0),                  // an old event, same time (a Kafka-style replay)
			resend(mine[5], 7*time.Millisecond), // an old event, a few ms later
			resend(mine[9], 4*time.Millisecond), // the newest event, a few ms newer than the watermark
		)
	}
	fresh := b.ev(events.TypeTrack, "dev-00", "", 31, named("New"))
	again = append(again, fresh, resend(fresh, 2*time.Millisecond)) // a copy in the same flush
	e.produce(again...)
	itest.Eventually(t, 30*time.Second, func() bool {
		return e.committed("cem-processor") == int64(len(evs)+len(again))
	}, "copies processed")

	distinct := e.count("SELECT uniqExact(event_id) FROM {db}.events")
	assert.Equal(t, uint64(len(evs)+1), distinct)
	assert.Equal(t, distinct, e.count("SELECT sum(event_count) FROM {db}.sessions FINAL"), "session counts equal the distinct events")
	assert.Equal(t, uint64(0), e.count(`SELECT count() FROM (SELECT event_id FROM {db}.events GROUP BY event_id HAVING uniqExact(session_id) > 1)`),
		"every copy of an event carries the session of the first")
	assert.Equal(t, float64(len(again)-1), metric(t, p.reg, "cem_processor_session_replays_total", ""), "each copy was recognised")
}

// TestKeyDirectoryIntegration: a restarted processor builds its directory
// of stored keys from the events table and then restores keys it never saw
// without a read, while a key stored before the restart (absent from its
// memory) is still read and continues its session. With the directory
// off, every key is read.
func TestKeyDirectoryIntegration(t *testing.T) {
	e := newEnv(t)
	b := newEvb("web")
	p := e.start(e.config("cem-processor"))
	e.produce(b.ev(events.TypeTrack, "dev-known", "", 0, named("First"), channel("web")))
	e.waitEvents(1)
	p.stop(t)

	p = e.start(e.config("cem-processor"))
	produced := uint64(1)
	itest.Eventually(t, 30*time.Second, func() bool {
		// Each event is a flush; a flush takes over a completed scan.
		e.produce(b.ev(events.TypeTrack, fmt.Sprintf("dev-warm-%d", produced), "", 1, named("Warm")))
		produced++
		return metric(t, p.reg, "cem_processor_key_directory_scans_total", "ok") >= 1
	}, "the directory is built")
	e.waitEvents(produced)
	read := metric(t, p.reg, "cem_processor_session_restores_total", "read")
	fresh := metric(t, p.reg, "cem_processor_session_restores_total", "new")
	assert.GreaterOrEqual(t, metric(t, p.reg, "cem_processor_key_directory_keys", ""), 2.0, "dev-known from the scan, the warm-up keys loaded since")

	e.produce(
		b.ev(events.TypeTrack, "dev-known", "", 5, named("Second"), channel("web")),
		b.ev(events.TypeTrack, "dev-new", "", 5, named("Hello"), channel("web")),
	)
	e.waitEvents(produced + 2)
	assert.Equal(t, read+1, metric(t, p.reg, "cem_processor_session_restores_total", "read"), "the stored key is read")
	assert.Equal(t, fresh+1, metric(t, p.reg, "cem_processor_session_restores_total", "new"), "the new key is not")
	s := e.sessions("dev-known")
	require.Len(t, s, 1, "the stored key continues its session")
	assert.Equal(t, uint64(2), s[0].Count)
	assert.Equal(t, "web:First", s[0].Entry)
	require.Len(t, e.sessions("dev-new"), 1)
	p.stop(t)

	cfg := e.config("cem-processor")
	cfg.Processor.KeyDirectory = false
	p = e.start(cfg)
	e.produce(b.ev(events.TypeTrack, "dev-other", "", 6, named("Hello")))
	e.waitEvents(produced + 3)
	assert.Equal(t, 1.0, metric(t, p.reg, "cem_processor_session_restores_total", "read"))
	assert.Equal(t, 0.0, metric(t, p.reg, "cem_processor_session_restores_total", "new"))
	assert.Equal(t, 0.0, metric(t, p.reg, "cem_processor_key_directory_scans_total", "ok"))
}
