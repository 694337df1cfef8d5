package sink_test

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cemhq/cem/pkg/itest"
	"github.com/cemhq/cem/services/processor/internal/sink"
)

// TestWriterPermanentErrorsIntegration: a statement ClickHouse rejects as
// such (unknown table or column, bad SQL) is not retried for ever: Write and
// Query return a permanent error at once, while the good inserts land (one
// of them a block the writer builds).
func TestWriterPermanentErrorsIntegration(t *testing.T) {
	conn, _, db := itest.ClickHouse(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	require.NoError(t, conn.Exec(ctx, "CREATE TABLE "+db+".t (a String, n UInt64) ENGINE = MergeTree ORDER BY a"))
	w := sink.NewWriter(conn, db, sink.Backoff{Initial: time.Hour, Max: time.Hour}, sink.NewMetrics(prometheus.NewRegistry()), slog.New(slog.DiscardHandler))

	good := sink.Block{Table: "t", Columns: []string{"a", "n"}, Data: []any{[]string{"x"}, []uint64{1}}, Rows: 1}
	// A block built by the writer (as the events rows are).
	built := 0
	later := sink.Block{Table: "t", Columns: []string{"a", "n"}, Build: func() ([]any, int) {
		built++
		return []any{[]string{"y", "z"}, []uint64{2, 3}}, 2
	}}
	require.NoError(t, w.Write(ctx, []sink.Block{good, later}))
	assert.Equal(t, 1, built)
	assert.True(t, w.Ready())

	// With an hour of backoff, a retry would outlive the test's deadline.
	for name, b := range map[string]sink.Block{
		"unknown table":  {Table: "nope", Columns: []string{"a"}, Data: []any{[]string{"x"}}, Rows: 1},
		"unknown column": {Table: "t", Columns: []string{"zz"}, Data: []any{[]string{"x"}}, Rows: 1},
		"wrong type":     {Table: "t", Columns: []string{"n"}, Data: []any{[]string{"x"}}, Rows: 1},
	} {
		err := w.Write(ctx, []sink.Block{b})
		require.Error(t, err, name)
		assert.True(t, sink.IsPermanent(err), "%s: %v", name, err)
		assert.NoError(t, ctx.Err(), "%s returned before the deadline", name)
	}
	assert.False(t, w.Ready(), "a failing writer is not ready")

	err := w.Query(ctx, func(driver.Rows) error { return nil }, "SELEC 1")
	assert.True(t, sink.IsPermanent(err), "bad SQL: %v", err)
	var n uint64
	require.NoError(t, w.Query(ctx, func(r driver.Rows) error {
		for r.Next() {
			if err := r.Scan(&n); err != nil {
				return err
			}
		}
		return nil
	}, "SELECT count() FROM "+db+".t"))
	assert.Equal(t, uint64(3), n)
}
