package suppress_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cemhq/cem/pkg/chmigrate"
	"github.com/cemhq/cem/pkg/itest"
	"github.com/cemhq/cem/pkg/suppress"
)

func TestListIntegration(t *testing.T) {
	conn, _, db := itest.ClickHouse(t)
	ctx := context.Background()
	l := suppress.New(conn, db)
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
	require.NoError(t, l.Refresh(ctx))
	assert.True(t, l.Suppressed("u1"))
	assert.True(t, l.Suppressed("a1"))
	assert.False(t, l.Suppressed("u2"))

	insert("a1", 0, 2) // lifted
	require.NoError(t, l.Refresh(ctx))
	assert.False(t, l.Suppressed("a1"))
	assert.Equal(t, 1, l.Len())

	var nilList *suppress.List
	assert.False(t, nilList.Suppressed("u1"), "a nil list suppresses nothing")
}
