package suppress_test

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cemhq/cem/pkg/chmigrate"
	"github.com/cemhq/cem/pkg/events"
	"github.com/cemhq/cem/pkg/itest"
	"github.com/cemhq/cem/pkg/junkid"
	"github.com/cemhq/cem/pkg/suppress"
)

func TestListIntegration(t *testing.T) {
	conn, _, db := itest.ClickHouse(t)
	ctx := context.Background()
	l := suppress.New(conn, suppress.Options{Database: db, Junk: junkid.New()})
	require.NoError(t, l.Refresh(ctx), "no table yet: empty list")
	assert.False(t, l.Suppressed("u1"))

	require.NoError(t, chmigrate.Apply(ctx, conn, chmigrate.Options{Database: db}))
	insert := func(id string, active uint8, version uint64) {
		b, err := conn.PrepareBatch(ctx, "INSERT INTO "+db+".suppressed_ids (id, customer_id, suppressed_at, reason, receipt_id, active, version)")
		require.NoError(t, err)
		require.NoError(t, b.Append(id, "c1", time.Now(), "gdpr_erasure", "r1", active, version))
		require.NoError(t, b.Send())
	}
	insert("u1", 1, 1)
	insert("a1", 1, 1)
	insert("null", 1, 1) // suppressed by an older release: never matches
	require.NoError(t, l.Refresh(ctx))
	assert.True(t, l.Suppressed("u1"))
	assert.True(t, l.Suppressed("a1"))
	assert.False(t, l.Suppressed("u2"))
	assert.False(t, l.Suppressed("null"), "a junk id is never suppressed")
	assert.False(t, suppress.Event(l, &events.Event{AnonymousID: "null", UserID: "u2"}), "a real user sharing a junk anonymousId")
	assert.True(t, suppress.Event(l, &events.Event{AnonymousID: "null", UserID: "u1"}))
	assert.True(t, suppress.Event(l, &events.Event{UserID: "u3", PreviousID: "a1"}), "an alias from an erased id")

	insert("a1", 0, 2) // lifted
	require.NoError(t, l.Refresh(ctx))
	assert.False(t, l.Suppressed("a1"))
	assert.Equal(t, 2, l.Len())
	assert.Equal(t, uint64(2), l.Version())

	var nilList *suppress.List
	assert.False(t, nilList.Suppressed("u1"), "a nil list suppresses nothing")
	assert.False(t, nilList.Hold().Suppressed("u1"))
}

// TestHandshakeIntegration: a writer acknowledges a new version only once
// every write that held the older list is released, heartbeats, and
// records its stop.
func TestHandshakeIntegration(t *testing.T) {
	conn, _, db := itest.ClickHouse(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	require.NoError(t, chmigrate.Apply(ctx, conn, chmigrate.Options{Database: db}))
	l := suppress.New(conn, suppress.Options{Database: db, Junk: junkid.New(), Kind: "test"})
	ran := make(chan struct{})
	go func() {
		defer close(ran)
		l.Run(ctx, suppress.RunConfig{Interval: 20 * time.Millisecond, Heartbeat: 100 * time.Millisecond}, slog.New(slog.DiscardHandler))
	}()
	var beat int64
	acked := func() (version uint64, stopped uint8) {
		require.NoError(t, conn.QueryRow(context.Background(), "SELECT argMax(version, seq), argMax(stopped, seq), max(heartbeat_ms) FROM "+db+".suppression_writers WHERE writer_id = ?",
			l.WriterID()).Scan(&version, &stopped, &beat))
		return
	}
	itest.Eventually(t, 5*time.Second, func() bool { _, _ = acked(); return beat > 0 }, "first heartbeat")
	v, st := acked()
	assert.Equal(t, uint64(0), v)
	assert.Equal(t, uint8(0), st)

	held := l.Hold() // a write in progress under the empty list
	assert.False(t, held.Suppressed("u1"))
	b, err := conn.PrepareBatch(ctx, "INSERT INTO "+db+".suppressed_ids (id, customer_id, suppressed_at, reason, receipt_id, active, version)")
	require.NoError(t, err)
	require.NoError(t, b.Append("u1", "c1", time.Now(), "gdpr_erasure", "r1", uint8(1), uint64(7)))
	require.NoError(t, b.Send())

	itest.Eventually(t, 5*time.Second, func() bool { return l.Suppressed("u1") }, "new list in force")
	assert.True(t, l.Hold().Suppressed("u1"), "a new write holds the new list")
	assert.False(t, held.Suppressed("u1"), "the write in progress keeps its list")
	swapped := time.Now().UnixMilli()
	itest.Eventually(t, 5*time.Second, func() bool { _, _ = acked(); return beat > swapped }, "a heartbeat after the new list is in force")
	v, _ = acked()
	assert.Equal(t, uint64(0), v, "not acknowledged while a write holds the old list, but alive")

	held.Release()
	itest.Eventually(t, 5*time.Second, func() bool { v, _ := acked(); return v == 7 }, "acknowledged once the old write ended")
	assert.Equal(t, uint64(7), l.Acked())

	cancel()
	<-ran
	v, st = acked()
	assert.Equal(t, uint64(7), v)
	assert.Equal(t, uint8(1), st, "a stopped writer says so")
}
