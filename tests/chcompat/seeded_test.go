//go:build chdb

package chcompat

import (
	"context"
	"strings"
	"testing"

	"github.com/cemhq/cem/pkg/chconn"
	"github.com/cemhq/cem/pkg/itest"
)

// TestSeededIncompatibility records statements through chconn on 18.16 as
// the integration tests do and replays them: a statement whose syntax 26
// rejects and one that 26 answers differently must each be reported, the
// statements both engines agree on must not.
func TestSeededIncompatibility(t *testing.T) {
	conn, addr, db := itest.ClickHouse(t)
	dir := t.TempDir()
	t.Setenv(chconn.EnvRecord, dir) // after itest.ClickHouse: its cleanup drops db
	ctx := context.Background()
	rec, err := chconn.Open(ctx, chconn.Config{Addr: addr, Database: db})
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Close()
	const (
		create   = "CREATE TABLE %s.t (k String, x Float64, ts UInt64) ENGINE = ReplacingMergeTree ORDER BY k"
		agree    = "SELECT k, x, length('a\\0b') FROM %s.t ORDER BY k"
		agreeArg = "SELECT count() FROM %s.t WHERE k IN (?, ?)"
		rejected = "SELECT k, runningDifference(ts) FROM (SELECT k, ts FROM %s.t ORDER BY k)"
		differs  = "SELECT k, round(x) FROM %s.t ORDER BY k"
	)
	q := func(s string) string { return strings.ReplaceAll(s, "%s", db) }
	if err := rec.Exec(ctx, q(create)); err != nil {
		t.Fatal(err)
	}
	batch, err := rec.PrepareBatch(ctx, "INSERT INTO "+db+".t (k, x, ts)")
	if err != nil {
		t.Fatal(err)
	}
	for i, x := range []float64{0.5, 1.5, 2.5, 3.25} {
		if err := batch.Append(string(rune('a'+i)), x, uint64(i*i)); err != nil {
			t.Fatal(err)
		}
	}
	if err := batch.Send(); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{agree, rejected, differs} {
		rows, err := rec.Query(ctx, q(s))
		if err != nil {
			t.Fatalf("18.16 runs %q: %v", s, err)
		}
		rows.Close()
	}
	var n uint64
	if err := rec.QueryRow(ctx, q(agreeArg), "a", "b").Scan(&n); err != nil || n != 2 {
		t.Fatalf("18.16: %d, %v", n, err)
	}
	_ = conn

	recording, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	stmts := recording.ByDB[db]
	if len(stmts) != 6 {
		t.Fatalf("recorded %d statements, want 6 (create, insert, 4 reads): %q", len(stmts), stmts)
	}
	r := replayer{ch18: server18(t), e26: newEngine26(t)}
	t.Cleanup(func() { _, _ = r.e26.query("DROP DATABASE IF EXISTS " + db) })
	findings, st := r.replayDB(ctx, db, stmts)
	got := map[string]string{}
	for _, f := range findings {
		got[f.sql] = f.problem
	}
	if p := got[q(rejected)]; !strings.Contains(p, "fails on ClickHouse 26") {
		t.Errorf("runningDifference (26 refuses it by default): got %q", p)
	}
	if p := got[q(differs)]; !strings.Contains(p, "answers differently") {
		t.Errorf("round(2.5) (3 on 18.16, 2 on 26): got %q", p)
	}
	if len(findings) != 2 {
		t.Errorf("want exactly the 2 seeded findings, got %d: %v", len(findings), findings)
	}
	if st.compared != 2 || st.changes != 2 {
		t.Errorf("compared %d reads and ran %d changes, want 2 and 2", st.compared, st.changes)
	}
}
