package chcompat

import (
	"bufio"
	"cmp"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/cemhq/cem/pkg/chconn"
	"github.com/cemhq/cem/pkg/itest"
)

// Recording is what the integration tests sent to ClickHouse 18.16.
type Recording struct {
	// ByDB holds each database's distinct statements in the order sent
	// (per process; processes in file name order).
	ByDB map[string][]string
	// Kept lists the test databases left on 18.16 for the replay, sorted.
	Kept []string
}

// Load reads the record directory (chconn.EnvRecord) that a go test run
// wrote.
func Load(dir string) (*Recording, error) {
	files, err := filepath.Glob(filepath.Join(dir, "statements-*.jsonl"))
	if err != nil {
		return nil, fmt.Errorf("list recordings: %w", err)
	}
	slices.Sort(files)
	r := &Recording{ByDB: map[string][]string{}}
	var all []chconn.Statement
	for _, f := range files {
		stmts, err := readFile(f)
		if err != nil {
			return nil, err
		}
		all = append(all, stmts...)
	}
	// In the order sent, across processes (a test and the services it
	// started), each distinct statement of a database once.
	slices.SortStableFunc(all, func(a, b chconn.Statement) int { return cmp.Compare(a.At, b.At) })
	seen := map[chconn.Statement]bool{}
	for _, s := range all {
		s.At = 0
		if !seen[s] {
			seen[s] = true
			r.ByDB[s.DB] = append(r.ByDB[s.DB], s.SQL)
		}
	}
	kept, err := os.ReadDir(filepath.Join(dir, itest.ReplayDir))
	if err != nil && !os.IsNotExist(err) {
		return nil, fmt.Errorf("list kept databases: %w", err)
	}
	for _, e := range kept {
		r.Kept = append(r.Kept, e.Name())
	}
	slices.Sort(r.Kept)
	return r, nil
}

func readFile(name string) ([]chconn.Statement, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, fmt.Errorf("read recording: %w", err)
	}
	defer f.Close()
	var out []chconn.Statement
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for n := 1; sc.Scan(); n++ {
		var s chconn.Statement
		if err := json.Unmarshal(sc.Bytes(), &s); err != nil {
			return nil, fmt.Errorf("read recording %s:%d: %w", name, n, err)
		}
		out = append(out, s)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read recording %s: %w", name, err)
	}
	return out, nil
}

// Len is the number of distinct statements recorded.
func (r *Recording) Len() int {
	n := 0
	for _, s := range r.ByDB {
		n += len(s)
	}
	return n
}

// Unreplayed returns the distinct statements of databases that are not
// kept (cluster test databases, statements on "default"), with the database
// name replaced by "db" so that the same statement of many tests counts
// once, sorted.
func (r *Recording) Unreplayed() []string {
	kept := map[string]bool{}
	for _, k := range r.Kept {
		kept[k] = true
	}
	set := map[string]bool{}
	for db, stmts := range r.ByDB {
		if kept[db] {
			continue
		}
		for _, s := range stmts {
			if db != "default" {
				s = strings.ReplaceAll(s, db, "db")
			}
			set[s] = true
		}
	}
	out := make([]string, 0, len(set))
	for s := range set {
		out = append(out, s)
	}
	slices.Sort(out)
	return out
}
