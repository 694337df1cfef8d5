package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cemhq/cem/pkg/events"
)

func TestOutOfOrderIntegration(t *testing.T) {
	e := newEnv(t)
	b := newEvb("app")
	tr := func(min float64, name string) *events.Event {
		return b.ev(events.TypeTrack, "dev-9", "", min, named(name), channel("app"))
	}
	p := e.start(e.config("cem-processor"))
	e.produce(tr(0, "A"), tr(10, "B"), tr(45, "C"))
	e.waitEvents(3)
	s := e.sessions("dev-9")
	require.Len(t, s, 2, "45 - 10 > 30 min gap")

	// Restart: the late event must find the sessions restored from ClickHouse.
	p.stop(t)
	e.start(e.config("cem-processor"))
	e.produce(tr(20, "Late"))     // 25 min behind the watermark: joins the first session
	e.produce(tr(200, "D"))       // new session
	e.produce(tr(100, "TooLate")) // 100 min behind: a session of its own
	e.waitEvents(6)

	s = e.sessions("dev-9")
	require.Len(t, s, 4)
	assert.Equal(t, uint64(3), s[0].Count, "A, B and the late event")
	assert.Equal(t, "app:Late", s[0].Exit, "the late event extended the first session")
	assert.Equal(t, s[0].Start+20*60000, s[0].End)
	assert.Equal(t, uint64(1), s[1].Count, "C stays alone")
	assert.Equal(t, "app:TooLate", s[2].Entry)
	assert.Equal(t, uint64(1), s[2].Count)
	assert.Equal(t, "app:D", s[3].Entry)

	tl := e.timeline("dev-9")
	require.Len(t, tl, 6)
	assert.Equal(t, "Late", tl[2].Name)
	assert.Equal(t, tl[0].Session, tl[2].Session, "the late event is in the first session on the timeline too")
	assert.NotEqual(t, tl[0].Session, tl[3].Session)
}

func TestPoisonIntegration(t *testing.T) {
	e := newEnv(t)
	b := newEvb("web")
	e.start(e.config("cem-processor"))
	garbage := []byte(`{"v":1,"type":`)
	noID, _ := json.Marshal(map[string]any{"v": 1, "type": "track", "event": "X", "anonymousId": "k-p", "timestamp": "2026-03-02T10:00:00Z"})
	first := b.ev(events.TypeTrack, "k-p", "", 0, named("Before"))
	e.produce(first)
	e.produceRaw("k-p", garbage, noID)
	e.produce(b.ev(events.TypeTrack, "k-p", "", 1, named("After")))
	e.waitEvents(2)

	r := kafka.NewReader(kafka.ReaderConfig{Brokers: []string{e.broker}, GroupID: "dlq-check", Topic: "cem.events.dlq", MaxWait: 100 * time.Millisecond})
	defer func() { _ = r.Close() }()
	got := map[string]events.Failure{}
	for len(got) < 2 {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		m, err := r.ReadMessage(ctx)
		cancel()
		require.NoError(t, err)
		var f events.Failure
		require.NoError(t, json.Unmarshal(m.Value, &f))
		assert.Equal(t, "k-p", string(m.Key))
		got[fmt.Sprint(f.Raw)] = f
	}
	f := got[string(garbage)]
	assert.Equal(t, events.ReasonDecode, f.Reason)
	assert.Equal(t, "processor", f.Stage)
	assert.NotEmpty(t, f.Error)
	f = got[string(noID)]
	assert.Contains(t, []events.Reason{events.ReasonSchema, events.ReasonDecode}, f.Reason)
	assert.Equal(t, uint64(2), e.count("SELECT count() FROM {db}.events FINAL WHERE customer_key = 'k-p'"), "the partition continued")
}
