package timeline

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cemhq/cem/pkg/events"
	"github.com/cemhq/cem/services/processor/internal/stage"
)

func TestRows(t *testing.T) {
	ts := time.Date(2026, 3, 2, 10, 0, 0, 123e6, time.UTC)
	score := 3.0
	ev := events.Event{
		Type: events.TypeTrack, MessageID: "m1", AnonymousID: "a1", UserID: "u1", Event: "NPS Submitted",
		Properties: json.RawMessage(`{"score":3}`), Timestamp: ts, ReceivedAt: ts.Add(time.Second), Source: "survey",
		Context:    events.Context{Channel: "email", Campaign: &events.Campaign{Name: "spring", Source: "news", Medium: "mail"}},
		Enrichment: events.Enrichment{Bot: true, Browser: "Firefox"},
	}
	e := stage.New(ev, events.Reserved{Score: &score}, 0, 7)
	e.CustomerID, e.SessionID = "u1", "s1"
	b := Rows([]*stage.Event{e})
	require.NoError(t, b.Check())
	assert.Equal(t, "events", b.Table)
	col := map[string]any{}
	for i, c := range b.Columns {
		col[c] = b.Data[i]
	}
	assert.Len(t, col, len(b.Columns), "no duplicate columns")
	for name, want := range map[string]any{
		"event_id": []string{"survey:m1"}, "customer_key": []string{"a1"}, "customer_id": []string{"u1"},
		"session_id": []string{"s1"}, "touchpoint": []string{"email:NPS Submitted"}, "channel": []string{"email"},
		"campaign_name": []string{"spring"}, "campaign_medium": []string{"mail"}, "properties": []string{`{"score":3}`},
		"traits": []string{"{}"}, "browser": []string{"Firefox"}, "is_bot": []uint8{1},
		"ts_ms": []int64{ts.UnixMilli()}, "timestamp": []time.Time{ts.Truncate(time.Second)},
		"received_ms": []int64{ts.Add(time.Second).UnixMilli()}, "original_ts_ms": []int64{0},
		"signal": []string{"survey"}, "signal_weight": []float64{-1}, "version": []uint64{^uint64(ts.Add(time.Second).UnixMilli())},
	} {
		assert.Equal(t, want, col[name], name)
	}
	assert.Equal(t, 3.0, *col["score"].([]*float64)[0])
}
