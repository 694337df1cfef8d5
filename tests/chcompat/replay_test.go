//go:build chdb

package chcompat

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"
)

// EnvRecordings names the directory of recorded statements to replay
// (scripts/test.sh: the CEM_TEST_SQL_RECORD directory of its go test stage).
const EnvRecordings = "CEM_TEST_CHCOMPAT_RECORDINGS"

// finding is a statement that fails or answers differently on 26.
type finding struct {
	db, sql, problem string
}

func (f finding) String() string {
	return fmt.Sprintf("%s\n  database %s, statement:\n%s", f.problem, f.db, f.sql)
}

// stats counts what a replay did.
type stats struct {
	changes, compared, empty, serverState, failOn18 int
}

// replayer replays recorded statements on 26 over the contents of a test
// database on 18.16.
type replayer struct {
	ch18 HTTPServer
	e26  engine26
}

// replayDB rebuilds database db on 26 from its recorded statements, loads
// 18.16's contents of its tables and compares every read.
func (r replayer) replayDB(ctx context.Context, db string, stmts []string) (out []finding, st stats) {
	fail := func(sql, format string, args ...any) {
		out = append(out, finding{db: db, sql: sql, problem: fmt.Sprintf(format, args...)})
	}
	if _, err := r.e26.query("CREATE DATABASE IF NOT EXISTS " + db); err != nil {
		fail("", "create database on 26: %v", err)
		return out, st
	}
	if _, err := r.e26.query("USE " + db); err != nil {
		fail("", "use database on 26: %v", err)
		return out, st
	}
	// 1. The schema as the statements build it on 26, empty.
	failed26 := map[string]error{}
	var failedOrder []string
	for _, s := range stmts {
		if Classify(s) != Change {
			continue
		}
		st.changes++
		if _, err := r.e26.query(ForEmptySchema(s)); err != nil {
			failed26[s] = err
			failedOrder = append(failedOrder, s)
		}
	}
	// A change that failed on 26 is a finding unless it fails on 18.16 too
	// (a test's deliberate error): checked at the end, on 18.16's copy of
	// the database, which is dropped after the replay.
	defer func() {
		for _, s := range failedOrder {
			if _, err := r.ch18.Query(ctx, db, ForEmptySchema(s)); err != nil {
				st.failOn18++
				continue
			}
			fail(s, "fails on ClickHouse 26 (works on 18.16): %v", failed26[s])
		}
	}()
	// 2. The contents of every table, as on 18.16.
	if err := r.load(ctx, db); err != nil {
		fail("", "load 18.16's tables into 26: %v", err)
		return out, st
	}
	// 3. Every read on both.
	for _, s := range stmts {
		if Classify(s) != Read {
			continue
		}
		// Both engines at once: 18.16 is another process.
		var want string
		var err18 error
		done := make(chan struct{})
		go func() {
			defer close(done)
			want, err18 = r.ch18.Query(ctx, db, s)
		}()
		got, err26 := r.e26.query(s)
		<-done
		switch {
		case err26 != nil && err18 == nil:
			fail(s, "fails on ClickHouse 26 (works on 18.16): %v", err26)
		case err18 != nil:
			st.failOn18++ // e.g. a test's deliberate error; nothing to compare
		case ReadsServerState(s):
			st.serverState++
		default:
			rows, p := r.compare(want, got, Ordered(s))
			if p != "" {
				fail(s, "%s", p)
				continue
			}
			st.compared++
			if rows == 0 {
				st.empty++
			}
		}
	}
	return out, st
}

// compare returns the number of rows of the answers and how they differ.
func (r replayer) compare(want18, got26 string, order Order) (int, string) {
	w, err := ParseTSV(want18)
	if err != nil {
		return 0, "18.16: " + err.Error()
	}
	g, err := ParseTSV(got26)
	if err != nil {
		return 0, "26: " + err.Error()
	}
	if d := Compare(w, g, order); d != "" {
		return 0, "answers differently on ClickHouse 26: " + d
	}
	return len(w.Rows), ""
}

// load copies the rows of every table of db on 18.16 into the same table on
// 26 (through 26's url() reading 18.16's HTTP interface in Native), with
// merges of those tables stopped on both so that unmerged duplicates stay as
// they are, and inserted on 26 without the insert-time merge
// (optimize_on_insert = 0): reads without FINAL see the same rows. Each
// data part is copied as one insert, in the order of the parts' blocks, so
// that among rows with the same key and version FINAL keeps the same one
// (the last inserted) on both.
func (r replayer) load(ctx context.Context, db string) error {
	out, err := r.ch18.Query(ctx, db, "SELECT name FROM system.tables WHERE database = currentDatabase() AND engine LIKE '%MergeTree' ORDER BY name")
	if err != nil {
		return err
	}
	tables, err := ParseTSV(out)
	if err != nil {
		return err
	}
	for _, row := range tables.Rows {
		t := row[0]
		if _, err := r.ch18.Query(ctx, db, "SYSTEM STOP MERGES "+db+"."+t); err != nil {
			return fmt.Errorf("stop merges of %s on 18.16: %w", t, err)
		}
		if _, err := r.e26.query("SYSTEM STOP MERGES " + db + "." + t); err != nil {
			return fmt.Errorf("stop merges of %s on 26: %w", t, err)
		}
		if _, err := r.e26.query("TRUNCATE TABLE " + db + "." + t); err != nil {
			return fmt.Errorf("table %s exists on 18.16 but the recorded statements did not create it on 26 (a process that sent them without %s?): %w", t, "CEM_TEST_SQL_RECORD", err)
		}
		out, err := r.ch18.Query(ctx, db, "SELECT name FROM system.parts WHERE database = currentDatabase() AND table = '"+t+"' AND active ORDER BY min_block_number")
		if err != nil {
			return fmt.Errorf("parts of %s on 18.16: %w", t, err)
		}
		parts, err := ParseTSV(out)
		if err != nil {
			return err
		}
		for _, p := range parts.Rows {
			ins := "INSERT INTO " + db + "." + t + " SELECT * FROM url(" + quote(r.ch18.NativeURL(db, t, p[0])) + ", Native) SETTINGS optimize_on_insert = 0"
			if _, err := r.e26.query(ins); err != nil {
				return fmt.Errorf("copy %s part %s: %w", t, p[0], err)
			}
		}
		n18, _ := r.ch18.Query(ctx, db, "SELECT count() FROM "+db+"."+t)
		n26, err := r.e26.query("SELECT count() FROM " + db + "." + t)
		if err != nil || lastLine(n18) != lastLine(n26) {
			return fmt.Errorf("copy %s: %s rows on 18.16, %s on 26 (%v)", t, lastLine(n18), lastLine(n26), err)
		}
	}
	return nil
}

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	return s[strings.LastIndex(s, "\n")+1:]
}

// drop removes db from both engines.
func (r replayer) drop(ctx context.Context, db string) error {
	_, err26 := r.e26.query("DROP DATABASE IF EXISTS " + db)
	_, err18 := r.ch18.Query(ctx, "default", "DROP DATABASE IF EXISTS "+db)
	if err18 != nil {
		return err18
	}
	return err26
}

// TestReplayOn26 replays everything the integration tests sent to 18.16.
func TestReplayOn26(t *testing.T) {
	dir := os.Getenv(EnvRecordings)
	if dir == "" {
		t.Skip(EnvRecordings + " is not set: scripts/test.sh records the integration tests and replays them here")
	}
	rec, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(rec.Kept) == 0 || rec.Len() == 0 {
		t.Fatalf("nothing recorded in %s (%d statements, %d databases): did the go test stage run with CEM_TEST_SQL_RECORD?", dir, rec.Len(), len(rec.Kept))
	}
	ctx := context.Background()
	r := replayer{ch18: server18(t), e26: newEngine26(t)}
	var total stats
	for _, db := range rec.Kept {
		start := time.Now()
		findings, st := r.replayDB(ctx, db, rec.ByDB[db])
		t.Logf("%s: %d statements in %s", db, len(rec.ByDB[db]), time.Since(start).Round(time.Millisecond))
		if err := r.drop(ctx, db); err != nil {
			t.Errorf("drop %s: %v", db, err)
		}
		for _, f := range findings {
			t.Error(f)
		}
		total.changes += st.changes
		total.compared += st.compared
		total.empty += st.empty
		total.serverState += st.serverState
		total.failOn18 += st.failOn18
	}
	unreplayed := rec.Unreplayed()
	for _, s := range unreplayed {
		if err := parse26(r.e26, s); err != nil {
			t.Errorf("does not parse on ClickHouse 26: %v\n%s", err, s)
		}
	}
	t.Logf("%d databases: %d change statements ran on 26, %d reads compared (%d of them empty on both), %d server-state reads ran, %d reads failed on 18.16 too; %d statements of other databases parsed",
		len(rec.Kept), total.changes, total.compared, total.empty, total.serverState, total.failOn18, len(unreplayed))
}
