package eventrows_test

import (
	"encoding/json"
	"io/fs"
	"reflect"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cemhq/cem/pkg/eventrows"
	"github.com/cemhq/cem/pkg/events"
	"github.com/cemhq/cem/schemas"
)

// TestColumnsMatchSchema: the columns are exactly those of the events
// table in its migration (every column written, none unknown).
func TestColumnsMatchSchema(t *testing.T) {
	src, err := fs.ReadFile(schemas.ClickHouse, "clickhouse/0001_events.sql")
	require.NoError(t, err)
	var want []string
	for _, m := range regexp.MustCompile(`(?m)^\s{4}([a-z_]+)\s+[A-Z]`).FindAllStringSubmatch(string(src), -1) {
		want = append(want, m[1])
	}
	require.Len(t, want, 47, "columns parsed from 0001_events.sql")
	assert.ElementsMatch(t, want, eventrows.Columns())
}

func TestColumnar(t *testing.T) {
	ts := time.Date(2026, 3, 2, 10, 0, 0, 123e6, time.UTC)
	score := 3.0
	ev := events.Event{
		Type: events.TypeTrack, MessageID: "m1", AnonymousID: "a1", Event: "NPS Submitted", Source: "survey",
		Properties: json.RawMessage(`{"score":3}`), Timestamp: ts, ReceivedAt: ts.Add(time.Second),
		Context:    events.Context{IP: "10.0.0.1", Page: &events.PageContext{Path: "/p"}, Campaign: &events.Campaign{Medium: "mail"}},
		Enrichment: events.Enrichment{Bot: true},
	}
	res := events.Reserved{Score: &score, OrderID: "o1"}
	c := eventrows.NewColumnar(2)
	for range 3 {
		c.Add(&eventrows.Row{Event: &ev, Reserved: &res, ID: "survey:m1", Key: "a1", Signal: "survey", SignalWeight: -1, TsMs: ts.UnixMilli()})
	}
	require.Equal(t, 3, c.Len())
	c.Truncate(2)
	c.Truncate(5) // beyond Len: no change
	require.Equal(t, 2, c.Len())

	cols, data := eventrows.Columns(), c.Data()
	require.Len(t, data, len(cols))
	col := map[string]any{}
	for i, name := range cols {
		assert.Equal(t, 2, reflect.ValueOf(data[i]).Len(), name)
		col[name] = data[i]
	}
	for name, want := range map[string]any{
		"event_id": []string{"survey:m1", "survey:m1"}, "ip": []string{"10.0.0.1", "10.0.0.1"},
		"page_path": []string{"/p", "/p"}, "page_url": []string{"", ""}, "campaign_medium": []string{"mail", "mail"},
		"traits": []string{"{}", "{}"}, "order_id": []string{"o1", "o1"}, "is_bot": []uint8{1, 1},
		"timestamp": []time.Time{ts.Truncate(time.Second), ts.Truncate(time.Second)}, "original_ts_ms": []int64{0, 0},
		"signal": []string{"survey", "survey"}, "signal_weight": []float64{-1, -1}, "version": []uint64{^uint64(ev.ReceivedAt.UnixMilli()), ^uint64(ev.ReceivedAt.UnixMilli())},
	} {
		assert.Equal(t, want, col[name], name)
	}
	assert.Equal(t, time.Unix(0, 0).UTC(), eventrows.Secs(time.Time{}), "the zero time is the smallest DateTime")
	assert.Greater(t, eventrows.Version(ts), eventrows.Version(ts.Add(time.Millisecond)), "the first received copy has the higher version")

}
