package chmigrate_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cemhq/cem/pkg/chmigrate"
	"github.com/cemhq/cem/pkg/itest"
)

// TestApplyShardedIntegration applies the repository's migrations in sharded
// mode on the local test cluster (scripts/clickhouse-cluster.sh: ZooKeeper
// and ClickHouse 18.16 nodes, one per shard) and checks the layout with
// data: events split over the shards by the customer key, a replay
// collapsing on its shard, identity tables and the migration log
// replicated to every node, views reading through the Distributed table.
func TestApplyShardedIntegration(t *testing.T) {
	c := itest.ClickHouseCluster(t)
	require.GreaterOrEqual(t, len(c.Nodes), 2, "the test cluster needs two shards")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	db := c.Config.Database
	opts := chmigrate.For(c.Config)
	require.True(t, opts.Sharded)

	require.NoError(t, chmigrate.Apply(ctx, c.Conn, opts))
	require.NoError(t, chmigrate.Apply(ctx, c.Conn, opts), "a second run applies nothing and passes the checksum check")

	count := func(conn driver.Conn, q string, args ...any) uint64 {
		t.Helper()
		var n uint64
		require.NoError(t, conn.QueryRow(ctx, q, args...).Scan(&n), q)
		return n
	}
	var applied uint64
	for i, node := range c.Nodes {
		engines := itest.TableEngines(t, node, db)
		for table := range chmigrate.ShardingKeys {
			assert.Equal(t, "Distributed", engines[table], "node %d: %s", i+1, table)
			assert.Equal(t, "ReplicatedReplacingMergeTree", engines[table+chmigrate.LocalSuffix], "node %d: %s_local", i+1, table)
		}
		for _, table := range []string{"identities", "customer_ids", "customer_scores", "suppressed_ids", chmigrate.Table} {
			assert.Equal(t, "ReplicatedReplacingMergeTree", engines[table], "node %d: %s", i+1, table)
		}
		assert.Equal(t, "View", engines["satisfaction_daily"], "node %d", i+1)

		// ZooKeeper paths: one replica set per shard for the sharded
		// tables, one over the whole cluster for the others. events_local
		// was rebuilt by 0030 (copy-swap): its path carries the
		// migration, not the {table} macro, so that renaming it is safe.
		var path string
		require.NoError(t, node.QueryRow(ctx, "SELECT zookeeper_path FROM system.replicas WHERE database = ? AND table = 'events_local'", db).Scan(&path))
		assert.Equal(t, fmt.Sprintf("/clickhouse/tables/%02d/%s/events_local_v0030", i+1, db), path)
		require.NoError(t, node.QueryRow(ctx, "SELECT zookeeper_path FROM system.replicas WHERE database = ? AND table = 'identities'", db).Scan(&path))
		assert.Equal(t, "/clickhouse/tables/all/"+db+"/identities", path)

		// Every node sees the migration log, so a service connected to any
		// node migrates nothing twice.
		itest.Eventually(t, 30*time.Second, func() bool {
			n := count(node, "SELECT count() FROM "+db+"."+chmigrate.Table+" FINAL")
			if i == 0 {
				applied = n
			}
			return n == applied && n > 0
		}, "schema_migrations replicated to every node")
	}

	// 200 customers, each with one NPS answer, written twice (a replay)
	// through the Distributed table.
	const customers = 200
	for range 2 {
		b, err := c.Conn.PrepareBatch(ctx, "INSERT INTO "+db+".events (event_id, customer_key, type, event, score, timestamp, ts_ms, version)")
		require.NoError(t, err)
		for k := range customers {
			require.NoError(t, b.Append(fmt.Sprintf("web:m%d", k), fmt.Sprintf("anon-%d", k), "track", "NPS Submitted",
				float64(k%11), time.Unix(1_700_000_000, 0), int64(1_700_000_000_000), uint64(1)))
		}
		require.NoError(t, b.Send(), "a synchronous insert returns once every shard has its rows")
	}
	var sum uint64
	for i, node := range c.Nodes {
		n := count(node, "SELECT count() FROM "+db+".events_local FINAL")
		assert.Positive(t, n, "node %d holds a share of the customers", i+1)
		sum += n
		assert.Zero(t, count(node, "SELECT count() FROM "+db+".events_local WHERE cityHash64(customer_key) % ? != ?", uint64(len(c.Nodes)), uint64(i)),
			"node %d holds only the keys of its shard (cityHash64(customer_key) modulo the shards)", i+1)
		assert.Equal(t, uint64(customers), count(node, "SELECT count() FROM "+db+".events FINAL"), "node %d reads all shards", i+1)
		assert.Equal(t, uint64(customers), count(node, "SELECT sum(n) FROM "+db+".satisfaction_daily"), "node %d: the view reads all shards", i+1)
	}
	assert.Equal(t, uint64(customers), sum, "each event stored once over the shards, its replay collapsed on the same shard")

	// Identity tables are written on one node and read on every node.
	b, err := c.Conn.PrepareBatch(ctx, "INSERT INTO "+db+".identities (id, customer_id, linked_at, cause, source_message_id, version)")
	require.NoError(t, err)
	require.NoError(t, b.Append("anon-1", "user-1", time.Unix(1_700_000_000, 0), "identify", "m1", uint64(1)))
	require.NoError(t, b.Send())
	for i, node := range c.Nodes {
		itest.Eventually(t, 30*time.Second, func() bool {
			return count(node, "SELECT count() FROM "+db+".identities FINAL WHERE id = 'anon-1'") == 1
		}, fmt.Sprintf("identity replicated to node %d", i+1))
	}
}
