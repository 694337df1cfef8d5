package gdpr

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/cemhq/cem/pkg/chconn"
	"github.com/cemhq/cem/pkg/chmigrate"
	"github.com/cemhq/cem/services/query/internal/chstore"
)

// identityColumns are the columns that hold a customer's ids, in any table.
var identityColumns = []string{
	"customer_key", "customer_id", "anonymous_id", "user_id", "previous_id",
	"id", "from_id", "to_id", "from_customer_id",
}

// Own are the tables that record erasures themselves and are never erased
// (they hold the erased ids by design: the suppression, the receipts, the
// audit log) or hold no customer data.
var Own = map[string]bool{
	"suppressed_ids": true, "erasure_receipts": true, "gdpr_audit": true, "suppression_writers": true, "schema_migrations": true,
}

// table is a table holding customer data and its identity columns.
type table struct {
	// Name is the table to read: the Distributed table of a sharded table.
	Name string
	// Local stores the rows on each node: Name, or the per-shard table of
	// a sharded table, which mutations go to (with OnCluster).
	Local     string
	OnCluster string
	Engine    string
	Columns   []string
	// Props: the table has event and properties columns (raw events),
	// whose declared identity properties an erasure redacts.
	Props bool
}

// final is " FINAL" for engines that support it.
func (t table) final() string {
	if strings.Contains(t.Engine, "Replacing") || strings.Contains(t.Engine, "Collapsing") {
		return " FINAL"
	}
	return ""
}

// cond is the WHERE condition matching any id in any identity column; it
// binds one set per column.
func (t table) cond(ids []string) (string, []any) {
	parts := make([]string, len(t.Columns))
	args := make([]any, len(t.Columns))
	for i, c := range t.Columns {
		parts[i] = c + " IN ?"
		args[i] = chstore.Set(ids)
	}
	return strings.Join(parts, " OR "), args
}

// tables lists the MergeTree tables of the database with at least one
// String identity column, by name; layout tells which are the local tables
// of sharded ones.
func tables(ctx context.Context, st *chstore.Store, layout chmigrate.Options) ([]table, error) {
	engines := map[string]string{}
	err := st.Select(ctx, func(rows driver.Rows) error {
		var name, engine string
		if err := rows.Scan(&name, &engine); err != nil {
			return err
		}
		engines[name] = engine
		return nil
	}, "SELECT name, engine FROM system.tables WHERE database = ? AND engine LIKE '%MergeTree'", st.DB())
	if err != nil {
		return nil, fmt.Errorf("list tables: %w", err)
	}
	byName := map[string]*table{}
	props := map[string]int{}
	err = st.Select(ctx, func(rows driver.Rows) error {
		var name, col string
		if err := rows.Scan(&name, &col); err != nil {
			return err
		}
		engine, ok := engines[name]
		if !ok || Own[name] || !chconn.Ident(name) {
			return nil
		}
		t, ok := byName[name]
		if !ok {
			t = &table{Name: name, Local: name, Engine: engine}
			if dist, ok := layout.ShardedOf(name); ok {
				t.Name, t.OnCluster = dist, layout.OnCluster()
			}
			byName[name] = t
		}
		switch {
		case slices.Contains(identityColumns, col):
			t.Columns = append(t.Columns, col)
		case col == "properties":
			props[name]++
		case col == "event":
			props[name]++
		}
		return nil
	}, "SELECT table, name FROM system.columns WHERE database = ? AND type = 'String'", st.DB())
	if err != nil {
		return nil, fmt.Errorf("list columns: %w", err)
	}
	out := make([]table, 0, len(byName))
	for name, t := range byName {
		if len(t.Columns) == 0 {
			continue
		}
		t.Props = props[name] == 2
		slices.Sort(t.Columns)
		out = append(out, *t)
	}
	slices.SortFunc(out, func(a, b table) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}
