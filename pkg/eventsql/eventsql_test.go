package eventsql_test

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/cemhq/cem/pkg/eventsql"
)

func TestSource(t *testing.T) {
	assert.Equal(t, "(SELECT event_id FROM cem.events FINAL)", eventsql.Source("cem", eventsql.Query{}))
	assert.Equal(t, "(SELECT event_id, ts_ms FROM db.events FINAL PREWHERE customer_key IN ? AND (event IN ?) WHERE (ts_ms >= ?))",
		eventsql.Source("db", eventsql.Query{Cols: []string{"event_id", "ts_ms"}, Keys: true, Match: "event IN ?", Where: "ts_ms >= ?"}))
	assert.Equal(t, "(SELECT event_id FROM db.events FINAL WHERE (is_bot = 0))", eventsql.Source("db", eventsql.Query{Where: "is_bot = 0"}))
	assert.Equal(t, "(SELECT event_id FROM db.events FINAL PREWHERE (event = ?) AND ts_ms >= ? AND ts_ms < ? WHERE ts_ms >= ? AND ts_ms < ? AND (is_bot = 0))",
		eventsql.Source("db", eventsql.Query{Match: "event = ?", Range: true, Where: "is_bot = 0"}))
	day := int64(eventsql.RangeMargin)
	assert.Equal(t, []any{10 * day, 13 * day, 11 * day, 12 * day}, eventsql.RangeArgs(11*day, 12*day))
	open := eventsql.RangeArgs(0, 0)
	assert.Equal(t, []any{int64(math.MinInt64), int64(math.MaxInt64), int64(math.MinInt64), int64(math.MaxInt64)}, open, "open sides do not overflow")
}

func TestMatchRefusesVaryingColumns(t *testing.T) {
	for _, ok := range []string{"event = 'Order Completed'", "type = 'track' AND event IN ('ts_ms', 'session_id')", "visitParamExtractString(properties, 'x') = ?", ""} {
		assert.NoError(t, eventsql.CheckMatch(ok), ok)
	}
	for _, bad := range []string{"ts_ms >= ?", "is_bot = 0", "event = 'x' AND session_id != ''", "toDate(timestamp) = today()", "customer_id = ?"} {
		assert.Error(t, eventsql.CheckMatch(bad), bad)
		assert.Panics(t, func() { eventsql.Source("db", eventsql.Query{Match: bad}) }, bad)
	}
	assert.True(t, eventsql.Shared("event"))
	assert.False(t, eventsql.Shared("ts_ms"))
}

func TestSourceCopies(t *testing.T) {
	assert.Equal(t, "(SELECT event_id FROM cem.events)", eventsql.Source("cem", eventsql.Query{Copies: true}))
	assert.Equal(t, "(SELECT event_id, channel FROM db.events PREWHERE customer_key IN ? AND (event IN ?) WHERE (channel != ''))",
		eventsql.Source("db", eventsql.Query{Cols: []string{"event_id", "channel"}, Keys: true, Match: "event IN ?", Where: "channel != ''", Copies: true}),
		"the same narrowing as with FINAL, without FINAL")
	assert.Equal(t, "(SELECT event_id, channel FROM db.events FINAL PREWHERE customer_key IN ? AND (event IN ?) WHERE (channel != ''))",
		eventsql.Source("db", eventsql.Query{Cols: []string{"event_id", "channel"}, Keys: true, Match: "event IN ?", Where: "channel != ''"}),
		"FINAL by default")
	assert.Equal(t, "(SELECT event_id AS id, if(event = 'ts_ms', 1, 0) AS x FROM db.events)",
		eventsql.Source("db", eventsql.Query{Cols: []string{"event_id AS id", "if(event = 'ts_ms', 1, 0) AS x"}, Copies: true}), "string literals are not columns")
	for _, q := range []eventsql.Query{
		{Cols: []string{"event_id", "ts_ms"}, Copies: true},
		{Cols: []string{"toDate(timestamp) AS day"}, Copies: true},
		{Cols: []string{"customer_id"}, Copies: true},
		{Where: "is_bot = 0", Copies: true},
		{Where: "session_id != ''", Copies: true},
		{Range: true, Copies: true},
	} {
		assert.Panics(t, func() { eventsql.Source("db", q) }, "%+v", q)
		q.Copies = false
		assert.NotPanics(t, func() { eventsql.Source("db", q) }, "%+v with FINAL", q)
	}
}
