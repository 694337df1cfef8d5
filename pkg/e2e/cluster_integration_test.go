package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cemhq/cem/pkg/chconn"
	"github.com/cemhq/cem/pkg/chmigrate"
	"github.com/cemhq/cem/pkg/itest"
)

// TestClusterSchemaIntegration applies the migrations in cluster mode on a
// current ClickHouse, replicated and sharded: ON CLUSTER DDL through Keeper,
// Replicated* engines, and in sharded mode Distributed tables in front of
// the event tables (one shard here; scripts/test.sh runs two shards on
// ClickHouse 18.16).
func TestClusterSchemaIntegration(t *testing.T) {
	s := need(t)
	for _, sharded := range []bool{false, true} {
		t.Run(map[bool]string{false: "replicated", true: "sharded"}[sharded], func(t *testing.T) {
			testClusterSchema(t, s, sharded)
		})
	}
}

func testClusterSchema(t *testing.T, s *stack, sharded bool) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	db := itest.DatabaseName(t.Name())
	cfg := chconn.Config{Addr: s.chAddr, Database: "default", Cluster: clusterName, Sharded: sharded}
	conn, err := chconn.Open(ctx, cfg)
	require.NoError(t, err)
	defer func() { _ = conn.Close() }()
	t.Cleanup(func() {
		_ = conn.Exec(context.Background(), "DROP DATABASE IF EXISTS "+db+" ON CLUSTER '"+clusterName+"' SYNC")
	})

	cfg.Database = db
	opts := chmigrate.For(cfg)
	require.NoError(t, chmigrate.Apply(ctx, conn, opts))
	require.NoError(t, chmigrate.Apply(ctx, conn, opts), "a second run applies nothing and passes the checksum check")

	engines := itest.TableEngines(t, conn, db)
	require.Contains(t, engines, "events")
	for name, engine := range engines {
		if strings.HasSuffix(engine, "MergeTree") {
			assert.True(t, strings.HasPrefix(engine, "Replicated"), "%s is %s, want Replicated*", name, engine)
		}
	}
	if sharded {
		assert.Equal(t, "Distributed", engines["events"])
		assert.Equal(t, "ReplicatedReplacingMergeTree", engines["events_local"])
	}

	for range 2 { // a replay of the same event
		b, err := conn.PrepareBatch(ctx, "INSERT INTO "+db+".events (event_id, customer_key, ts_ms, timestamp, version)")
		require.NoError(t, err)
		require.NoError(t, b.Append("web:m1", "a1", int64(1000), time.Unix(1, 0), uint64(1)))
		require.NoError(t, b.Send())
	}
	var n uint64
	require.NoError(t, conn.QueryRow(ctx, "SELECT count() FROM "+db+".events FINAL WHERE customer_key = 'a1'").Scan(&n))
	assert.Equal(t, uint64(1), n, "a replayed event collapses under FINAL")
}
