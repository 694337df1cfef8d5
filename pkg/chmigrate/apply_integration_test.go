package chmigrate_test

import (
	"context"
	"testing"
	"testing/fstest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cemhq/cem/pkg/chmigrate"
	"github.com/cemhq/cem/pkg/itest"
)

func TestApplyIntegration(t *testing.T) {
	conn, _, db := itest.ClickHouse(t)
	ctx := context.Background()
	var n uint64
	scan := func(q string) uint64 {
		t.Helper()
		require.NoError(t, conn.QueryRow(ctx, q).Scan(&n))
		return n
	}

	require.NoError(t, chmigrate.Apply(ctx, conn, chmigrate.Options{Database: db}))
	applied := scan("SELECT count() FROM " + db + ".schema_migrations FINAL")
	require.Positive(t, applied)
	assert.Equal(t, uint64(1), scan("SELECT count() FROM system.tables WHERE database = '"+db+"' AND name = 'events'"))
	assert.Equal(t, uint64(1), scan("SELECT count() FROM system.columns WHERE database = '"+db+"' AND table = 'events' AND name = 'customer_key'"))

	require.NoError(t, chmigrate.Apply(ctx, conn, chmigrate.Options{Database: db}))
	assert.Equal(t, applied, scan("SELECT count() FROM "+db+".schema_migrations"), "second run records nothing")

	// A replayed event collapses to one row under FINAL.
	// (Exec of INSERT ... VALUES hangs on 18.16's native protocol: use a batch.)
	for range 2 {
		b, err := conn.PrepareBatch(ctx, "INSERT INTO "+db+".events (event_id, customer_key, ts_ms, timestamp, version)")
		require.NoError(t, err)
		require.NoError(t, b.Append("web:m1", "a1", int64(1000), time.Unix(1, 0), uint64(1)))
		require.NoError(t, b.Send())
	}
	assert.Equal(t, uint64(1), scan("SELECT count() FROM "+db+".events FINAL WHERE customer_key = 'a1'"))
}

func TestApplyFSIntegration(t *testing.T) {
	conn, _, db := itest.ClickHouse(t)
	ctx := context.Background()
	opts := chmigrate.Options{Database: db}
	v1 := fstest.MapFS{
		"0001_a.sql": {Data: []byte("CREATE TABLE IF NOT EXISTS {{.DB}}.a (x UInt8) ENGINE = {{engine \"MergeTree\"}} ORDER BY x;\n" +
			"INSERT INTO {{.DB}}.a (x) SELECT 1;\n")},
	}
	got, err := chmigrate.ApplyFS(ctx, conn, v1, opts)
	require.NoError(t, err)
	require.Len(t, got, 1)

	v2 := fstest.MapFS{"0001_a.sql": v1["0001_a.sql"], "0002_b.sql": {Data: []byte("CREATE TABLE IF NOT EXISTS {{.DB}}.b (x UInt8) ENGINE = Memory")}}
	got, err = chmigrate.ApplyFS(ctx, conn, v2, opts)
	require.NoError(t, err)
	require.Len(t, got, 1)
	assert.Equal(t, "b", got[0].Name)

	got, err = chmigrate.ApplyFS(ctx, conn, v2, opts)
	require.NoError(t, err)
	assert.Empty(t, got, "nothing left to apply")
	var rows uint64
	require.NoError(t, conn.QueryRow(ctx, "SELECT count() FROM "+db+".a").Scan(&rows))
	assert.Equal(t, uint64(1), rows, "0001 ran once")

	changed := fstest.MapFS{"0001_a.sql": {Data: []byte("SELECT 1")}, "0002_b.sql": v2["0002_b.sql"]}
	_, err = chmigrate.ApplyFS(ctx, conn, changed, opts)
	require.ErrorContains(t, err, "changed after it was applied")

	bad := fstest.MapFS{"0001_a.sql": v1["0001_a.sql"], "0002_b.sql": v2["0002_b.sql"], "0003_c.sql": {Data: []byte("CREATE NONSENSE")}}
	_, err = chmigrate.ApplyFS(ctx, conn, bad, opts)
	require.ErrorContains(t, err, "0003_c")
	got, err = chmigrate.ApplyFS(ctx, conn, v2, opts)
	require.NoError(t, err)
	assert.Empty(t, got, "a failed migration is not recorded")
}
