package pipeline

import (
	"bytes"
	"encoding/json"
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cemhq/cem/pkg/events"
	"github.com/cemhq/cem/pkg/record"
)

// A poison record of 2 MB becomes a DLQ record far below Kafka's 1 MB
// limit: raw cut and flagged, so the DLQ write does not fail and block the
// partition.
func TestPoisonRecordIsCapped(t *testing.T) {
	value := bytes.Repeat([]byte("\x01"), 2<<20)
	ev, f := decode(record.Record{Value: value}, time.Now())
	require.Nil(t, ev)
	require.NotNil(t, f)
	assert.Equal(t, events.ReasonDecode, f.Reason)
	assert.True(t, f.Truncated)
	assert.Equal(t, len(value), f.RawBytes)
	assert.Len(t, f.Raw, events.DefaultMaxRawBytes)
	b, err := json.Marshal(f)
	require.NoError(t, err)
	assert.Less(t, len(b), 1<<19)
}

// decodeAll decodes a flush on several goroutines and keeps each record's
// result at its place: events in order, an undecodable record's failure
// (with its own bytes) at its index, not its neighbours'.
func TestDecodeAllKeepsOrder(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(4))
	ts := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	const n = 5*decodeChunk + 17
	recs := make([]record.Record, n)
	for i := range recs {
		if i%97 == 3 {
			recs[i] = record.Record{Value: fmt.Appendf(nil, "{not json %d", i)}
			continue
		}
		ev := events.Event{Type: events.TypeTrack, MessageID: fmt.Sprintf("m%d", i), AnonymousID: "a1", Event: "Order Completed",
			Properties: json.RawMessage(`{"revenue":10}`), Timestamp: ts, ReceivedAt: ts, Source: "web"}
		v, err := events.AppendMarshal(nil, &ev)
		require.NoError(t, err)
		recs[i] = record.Record{Value: v, Offset: int64(i)}
	}
	p := &Pipeline{now: time.Now}
	ds := p.decodeAll(recs)
	require.Len(t, ds, n)
	for i, d := range ds {
		if i%97 == 3 {
			require.Nil(t, d.ev, "record %d", i)
			require.NotNil(t, d.f, "record %d", i)
			assert.Equal(t, string(recs[i].Value), string(d.f.Raw), "record %d", i)
			continue
		}
		require.Nil(t, d.f, "record %d", i)
		assert.Equal(t, fmt.Sprintf("m%d", i), d.ev.Event.MessageID)
		assert.Equal(t, int64(i), d.ev.Offset)
		assert.Equal(t, 10.0, d.ev.Reserved.Revenue)
	}
}
