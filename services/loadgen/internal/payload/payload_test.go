package payload

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cemhq/cem/pkg/events"
)

func TestTemplatesDecodeAndStayUnique(t *testing.T) {
	now := time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)
	tp, err := NewTemplates(Options{Seed: 1, Batches: 20, BatchSize: 50, Run: 3, Now: now})
	require.NoError(t, err)
	require.GreaterOrEqual(t, tp.Len(), 20)
	dec, err := events.NewDecoder(events.DefaultLimits())
	require.NoError(t, err)
	seen := map[string]bool{}
	var buf []byte
	for range 2 * tp.Len() { // two passes: new ids on the second
		body, src, n := tp.Next(buf)
		assert.Contains(t, []string{"web", "app", "support", "survey", "shop", "crm"}, src)
		assert.NotContains(t, string(body), Placeholder)
		b, err := dec.DecodeBatch(body, now.Add(time.Second))
		require.NoError(t, err)
		require.Len(t, b.Items, n)
		for _, it := range b.Items {
			require.Nil(t, it.Err, "%s", it.Raw)
			require.False(t, seen[it.Event.MessageID], "messageId %s repeats", it.Event.MessageID)
			seen[it.Event.MessageID] = true
			assert.WithinDuration(t, now, it.Event.Timestamp, 31*24*time.Hour)
		}
		assert.LessOrEqual(t, len(body), events.DefaultLimits().MaxBatchBytes)
		buf = body
	}
}

func TestEncodeIsClientView(t *testing.T) {
	ts := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	ev := events.Event{Type: events.TypeTrack, Event: "X", MessageID: "m", UserID: "u", Timestamp: ts.Add(time.Hour), OriginalTimestamp: ts,
		ReceivedAt: ts, SentAt: ts, Source: "web", Enrichment: events.Enrichment{Browser: "Chrome"}}
	body, err := Encode([]events.Event{ev}, ts.Add(time.Minute))
	require.NoError(t, err)
	var got struct {
		Batch  []map[string]any `json:"batch"`
		SentAt string           `json:"sentAt"`
	}
	require.NoError(t, json.Unmarshal(body, &got))
	require.Len(t, got.Batch, 1)
	for _, k := range []string{"source", "enrichment", "receivedAt", "sentAt", "originalTimestamp"} {
		assert.NotContains(t, got.Batch[0], k)
	}
	assert.Equal(t, "2026-03-01T10:00:00Z", got.Batch[0]["timestamp"])
	assert.Equal(t, "2026-03-01T10:01:00.000Z", got.SentAt)
}

func TestStamp(t *testing.T) {
	b := make([]byte, 8)
	Stamp(b, 0xab, 0x123456)
	assert.Equal(t, "ab123456", string(b))
}
