//go:build chdb

package chcompat

import (
	"io/fs"
	"strings"
	"testing"

	"github.com/cemhq/cem/pkg/chmigrate"
	"github.com/cemhq/cem/schemas"
)

func migrations(t *testing.T) []chmigrate.Migration {
	t.Helper()
	sub, err := fs.Sub(schemas.ClickHouse, "clickhouse")
	if err != nil {
		t.Fatal(err)
	}
	ms, err := chmigrate.Load(sub)
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) == 0 {
		t.Fatal("no migrations")
	}
	return ms
}

// TestMigrationsApplyOn26 applies every migration, rendered for a single
// node, on ClickHouse 26, twice (they are idempotent).
func TestMigrationsApplyOn26(t *testing.T) {
	e := newEngine26(t)
	opts := chmigrate.Options{Database: "mig26"}
	if _, err := e.query("CREATE DATABASE IF NOT EXISTS mig26"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _, _ = e.query("DROP DATABASE IF EXISTS mig26") })
	for pass := range 2 {
		for _, m := range migrations(t) {
			stmts, err := m.Statements(opts)
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range stmts {
				if _, err := e.query(s); err != nil {
					t.Errorf("pass %d, migration %04d_%s on ClickHouse 26: %v\n%s", pass+1, m.Version, m.Name, err, s)
				}
			}
		}
	}
	out, err := e.query("SELECT name FROM system.tables WHERE database = 'mig26' ORDER BY name")
	if err != nil {
		t.Fatal(err)
	}
	res, err := ParseTSV(out)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Rows) < 10 {
		t.Errorf("only %d tables and views after the migrations: %v", len(res.Rows), res.Rows)
	}
}

// TestClusterTemplatesParseOn26 renders every migration for the replicated
// and the sharded cluster layouts and parses each statement with ClickHouse
// 26 (formatQuery): chDB has no cluster to run them on.
func TestClusterTemplatesParseOn26(t *testing.T) {
	e := newEngine26(t)
	for _, opts := range []chmigrate.Options{
		{Database: "cem", Cluster: "cem_cluster"},
		{Database: "cem", Cluster: "cem_cluster", Sharded: true},
	} {
		n := 0
		for _, m := range migrations(t) {
			stmts, err := m.Statements(opts)
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range stmts {
				n++
				if err := parse26(e, s); err != nil {
					t.Errorf("sharded=%v, migration %04d_%s does not parse on ClickHouse 26: %v\n%s", opts.Sharded, m.Version, m.Name, err, s)
				}
			}
		}
		t.Logf("sharded=%v: %d statements parse", opts.Sharded, n)
	}
}

// parse26 parses sql with ClickHouse 26's parser.
func parse26(e engine26, sql string) error {
	_, err := e.query("SELECT formatQuery(" + quote(sql) + ")")
	return err
}

// quote returns s as a ClickHouse string literal.
func quote(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}
