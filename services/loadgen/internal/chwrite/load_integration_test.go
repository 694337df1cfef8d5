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

const queryToken = "loadgen-test-query-token"

// TestLoadAndQueriesIntegration writes a dataset with the processor's
// column layout and times every benchmark query on it through the query
// service.
func TestLoadAndQueriesIntegration(t *testing.T) {
	conn, addr, db := itest.ClickHouse(t)
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
	url := itest.StartService(t, itest.BuildService(t, "query"), "CEM_HTTP_ADDR", "CEM_CLICKHOUSE_ADDR="+addr,
		"CEM_CLICKHOUSE_DATABASE="+db, "CEM_QUERY_TOKENS="+queryToken, "CEM_LOG_LEVEL=warn").URL
	res, err := querybench.Run(ctx, conn, querybench.Options{Database: db, URL: url, Token: queryToken, Timelines: 20, Repeat: 2})
	require.NoError(t, err)
	require.Len(t, res.FunnelSteps, 4)
	assert.Positive(t, res.FunnelSteps[3], "some customers complete the funnel")
	assert.GreaterOrEqual(t, res.FunnelSteps[0], res.FunnelSteps[3])
	assert.Positive(t, res.Timeline.P50)
}
