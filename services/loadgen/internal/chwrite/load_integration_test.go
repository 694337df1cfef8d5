package chwrite_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cemhq/cem/pkg/chmigrate"
	"github.com/cemhq/cem/pkg/itest"
	"github.com/cemhq/cem/services/loadgen/internal/chwrite"
	"github.com/cemhq/cem/services/loadgen/internal/population"
	"github.com/cemhq/cem/services/loadgen/internal/querybench"
)

// TestLoadAndQueriesIntegration writes a dataset with the processor's
// column layout and runs every benchmark query on it.
func TestLoadAndQueriesIntegration(t *testing.T) {
	conn, _, db := itest.ClickHouse(t)
	ctx := context.Background()
	require.NoError(t, chmigrate.Apply(ctx, conn, chmigrate.Options{Database: db}))
	pop := population.New(population.Config{Seed: 1, Customers: 1 << 20})
	customers, err := chwrite.Load(ctx, conn, db, pop, chwrite.LoadOptions{Events: 25000, BatchRows: 10000})
	require.NoError(t, err)
	assert.Positive(t, customers)
	var n uint64
	require.NoError(t, conn.QueryRow(ctx, fmt.Sprintf("SELECT count() FROM %s.events", db)).Scan(&n))
	assert.Equal(t, uint64(25000), n)
	require.NoError(t, conn.QueryRow(ctx, fmt.Sprintf("SELECT count() FROM %s.identities", db)).Scan(&n))
	assert.Positive(t, n)
	res, err := querybench.Run(ctx, conn, querybench.Options{Database: db, Timelines: 20, Repeat: 2})
	require.NoError(t, err)
	require.Len(t, res.FunnelSteps, 4)
	assert.Positive(t, res.FunnelSteps[3], "some customers complete the funnel")
	assert.GreaterOrEqual(t, res.FunnelSteps[0], res.FunnelSteps[3])
	assert.Positive(t, res.Timeline.P50)
}
