package deploytest

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/cemhq/cem/pkg/chmigrate"
	"github.com/cemhq/cem/pkg/itest"
)

// TestDashboardSQLIntegration runs every ClickHouse query of the Grafana
// dashboards against the migrated schema (the local ClickHouse of
// scripts/test.sh), with Grafana's $__timeFilter macro expanded and the cem
// database replaced by the test's database. It proves the queries parse and
// name existing tables and columns; it does not check their results.
func TestDashboardSQLIntegration(t *testing.T) {
	conn, _, db := itest.ClickHouse(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	require.NoError(t, chmigrate.Apply(ctx, conn, chmigrate.Options{Database: db}))
	queries := sqlTargets(t)
	require.NotEmpty(t, queries)
	for name, sql := range queries {
		t.Run(name, func(t *testing.T) {
			q := macroRE.ReplaceAllString(sql, "$1 >= now() - 86400 AND $1 <= now()")
			require.NotContains(t, q, "$__", "unexpanded Grafana macro")
			q = strings.ReplaceAll(q, "cem.", db+".")
			rows, err := conn.Query(ctx, q)
			require.NoError(t, err, q)
			for rows.Next() {
			}
			require.NoError(t, rows.Err())
			rows.Close()
		})
	}
}
