package pipeline

import (
	"bytes"
	"encoding/json"
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

// Prepare releases a decoded record's bytes; a failure in processing then
// sends the event's wire encoding to the DLQ, which decodes to the same
// event. An undecodable record keeps its bytes for its own DLQ record.
func TestPreparedRecordReleasesBytes(t *testing.T) {
	ts := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	in := events.Event{Type: events.TypeTrack, MessageID: "m1", AnonymousID: "a1", Event: "Order Completed",
		Properties: json.RawMessage(`{"revenue":10}`), Timestamp: ts, ReceivedAt: ts, Source: "web"}
	value, err := events.AppendMarshal(nil, &in)
	require.NoError(t, err)
	p := &Pipeline{now: time.Now}

	r := record.Record{Value: value}
	p.Prepare(&r)
	require.Nil(t, r.Value, "the decoded event holds its own copy")
	d := r.Decoded.(decoded)
	require.Nil(t, d.f)
	f := newFailure(r, &d.ev.Event, events.ReasonProcessing, assert.AnError, time.Now())
	assert.Equal(t, string(value), string(f.Raw), "the DLQ gets the event's encoding")

	bad := record.Record{Value: []byte("{not json")}
	p.Prepare(&bad)
	assert.Equal(t, "{not json", string(bad.Value))
	assert.NotNil(t, bad.Decoded.(decoded).f)
}
