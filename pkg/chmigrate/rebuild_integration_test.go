package chmigrate_test

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cemhq/cem/pkg/chconn"
	"github.com/cemhq/cem/pkg/chmigrate"
	"github.com/cemhq/cem/pkg/itest"
	"github.com/cemhq/cem/schemas"
)

// migrationsBefore returns the repository's migrations older than version.
func migrationsBefore(t *testing.T, version int) fstest.MapFS {
	t.Helper()
	sub, err := fs.Sub(schemas.ClickHouse, "clickhouse")
	require.NoError(t, err)
	all, err := fs.ReadDir(sub, ".")
	require.NoError(t, err)
	out := fstest.MapFS{}
	for _, e := range all {
		var v int
		if _, err := fmt.Sscanf(e.Name(), "%04d_", &v); err != nil || v >= version {
			continue
		}
		b, err := fs.ReadFile(sub, e.Name())
		require.NoError(t, err)
		out[e.Name()] = &fstest.MapFile{Data: b}
	}
	return out
}

// TestRebuildIntegration: a database created by the migrations before
// 0030, filled with events delivered twice (different skew-corrected time,
// in two months) and sessions upserted with a start in another month,
// migrates through a crash before the swap and a crash after it, and then
// holds one row per event id under FINAL (the first received copy) and one
// per session; later copies keep collapsing.
func TestRebuildIntegration(t *testing.T) {
	itest.EachLayout(t, func(t *testing.T, conn driver.Conn, cfg chconn.Config) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		opts := chmigrate.For(cfg)
		db := opts.Database
		_, err := chmigrate.ApplyFS(ctx, conn, migrationsBefore(t, 30), opts)
		require.NoError(t, err)

		const customers, perCustomer = 40, 5
		jan := time.Date(2024, 1, 31, 23, 59, 59, 0, time.UTC)
		insertEvents(t, ctx, conn, db, customers, perCustomer, func(c, e, copy int) (tsMs, recvMs int64, version uint64) {
			ts := jan.Add(time.Duration(c*perCustomer+e) * time.Millisecond).Add(time.Duration(copy) * 2 * time.Second)
			return ts.UnixMilli(), ts.UnixMilli() + 50, uint64(1e18) + uint64(copy) // the old processor: newest write wins
		})
		insertSessions(t, ctx, conn, db, customers, jan)
		count := func(q string) uint64 {
			t.Helper()
			var n uint64
			require.NoError(t, conn.QueryRow(ctx, fmt.Sprintf(q, db)).Scan(&n), q)
			return n
		}
		require.Equal(t, uint64(2*customers*perCustomer), count("SELECT count() FROM %s.events FINAL"), "the old layout keeps both deliveries")

		crashes := []string{"events/copied", "events/swapped", "sessions/swapped"}
		for _, at := range crashes {
			chmigrate.SetCrashAt(func(table, step string) error {
				if table+"/"+step == at {
					return errors.New("crash at " + at)
				}
				return nil
			})
			_, err := chmigrate.ApplyFS(ctx, conn, repoFS(t), opts)
			require.ErrorContains(t, err, "crash at "+at)
		}
		chmigrate.SetCrashAt(nil)
		require.NoError(t, chmigrate.Apply(ctx, conn, opts))
		require.NoError(t, chmigrate.Apply(ctx, conn, opts), "a second run has nothing to do")

		assert.Equal(t, uint64(customers*perCustomer), count("SELECT count() FROM %s.events FINAL"))
		assert.Equal(t, uint64(customers*perCustomer), count("SELECT uniqExact(event_id) FROM %s.events"))
		assert.Equal(t, uint64(0), count("SELECT count() FROM %s.events FINAL WHERE timestamp >= toDateTime('2024-02-01 00:00:00', 'UTC')"),
			"the first received copy (January) wins")
		assert.Equal(t, uint64(customers), count("SELECT count() FROM %s.sessions FINAL"))
		assert.Equal(t, uint64(customers), count("SELECT count() FROM %s.sessions FINAL WHERE event_count = 2"), "the newest upsert wins")
		assert.Equal(t, uint64(0), count("SELECT count() FROM system.tables WHERE database = '%s' AND (name LIKE '%%new0030' OR name LIKE '%%old0030')"),
			"the rebuild leaves no table behind")

		// A third delivery after the migration (received later) collapses
		// too, and the first copy still wins.
		insertEvents(t, ctx, conn, db, customers, perCustomer, func(c, e, _ int) (int64, int64, uint64) {
			ts := jan.Add(time.Duration(c*perCustomer+e) * time.Millisecond).Add(time.Hour)
			return ts.UnixMilli(), ts.UnixMilli() + 50, ^uint64(ts.UnixMilli() + 50)
		})
		assert.Equal(t, uint64(customers*perCustomer), count("SELECT count() FROM %s.events FINAL"))
		assert.Equal(t, uint64(0), count("SELECT count() FROM %s.events FINAL WHERE timestamp >= toDateTime('2024-02-01 00:00:00', 'UTC')"))
	})
}

// TestConcurrentApplyIntegration starts two migrators at once on a fresh
// database: one applies every migration once, the other waits and returns
// only when every version it knows is applied.
func TestConcurrentApplyIntegration(t *testing.T) {
	conn, _, db := itest.ClickHouse(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	all, err := fs.ReadDir(repoFS(t), ".")
	require.NoError(t, err)
	var wg sync.WaitGroup
	errs := make([]error, 3)
	seen := make([]uint64, 3)
	for i := range errs {
		wg.Go(func() {
			if errs[i] = chmigrate.Apply(ctx, conn, chmigrate.Options{Database: db}); errs[i] == nil {
				errs[i] = conn.QueryRow(ctx, "SELECT uniqExact(version) FROM "+db+".schema_migrations").Scan(&seen[i])
			}
		})
	}
	wg.Wait()
	var n uint64
	require.NoError(t, conn.QueryRow(ctx, "SELECT count() FROM "+db+".schema_migrations").Scan(&n))
	for i := range errs {
		require.NoError(t, errs[i])
		assert.Equal(t, uint64(len(all)), seen[i], "starter %d returned before every migration was applied", i)
	}
	assert.Equal(t, uint64(len(all)), n, "each migration applied and recorded once")
}

func repoFS(t *testing.T) fs.FS {
	t.Helper()
	sub, err := fs.Sub(schemas.ClickHouse, "clickhouse")
	require.NoError(t, err)
	return sub
}

// insertEvents writes every event of customers x perCustomer twice (copy 0
// and 1) with the times and versions of at.
func insertEvents(t *testing.T, ctx context.Context, conn driver.Conn, db string, customers, perCustomer int,
	at func(c, e, copy int) (tsMs, recvMs int64, version uint64)) {
	t.Helper()
	b, err := conn.PrepareBatch(ctx, "INSERT INTO "+db+".events (event_id, message_id, source, type, event, customer_key, timestamp, ts_ms, received_at, received_ms, version)")
	require.NoError(t, err)
	for copy := range 2 {
		for c := range customers {
			for e := range perCustomer {
				ts, recv, v := at(c, e, copy)
				msg := fmt.Sprintf("m-%d-%d", c, e)
				require.NoError(t, b.Append("web:"+msg, msg, "web", "track", "Clicked", fmt.Sprintf("key-%d", c),
					time.UnixMilli(ts), ts, time.UnixMilli(recv), recv, v))
			}
		}
	}
	require.NoError(t, b.Send())
}

// insertSessions upserts one session per customer twice: first starting
// in February with one event, then grown backwards into January.
func insertSessions(t *testing.T, ctx context.Context, conn driver.Conn, db string, customers int, jan time.Time) {
	t.Helper()
	for i, start := range []time.Time{jan.Add(2 * time.Second), jan} {
		b, err := conn.PrepareBatch(ctx, "INSERT INTO "+db+".sessions (session_id, customer_key, start, start_ms, event_count, version)")
		require.NoError(t, err)
		for c := range customers {
			require.NoError(t, b.Append(strings.Repeat("s", 8)+fmt.Sprint(c), fmt.Sprintf("key-%d", c), start, start.UnixMilli(), uint64(i+1), uint64(i+1)))
		}
		require.NoError(t, b.Send())
	}
}
