package chcompat

import (
	"strings"
	"testing"
)

func mustParse(t *testing.T, s string) Result {
	t.Helper()
	r, err := ParseTSV(s)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestCompare(t *testing.T) {
	const head = "k\tv\nString\tFloat64\n"
	base := mustParse(t, head+"a\t0.1\nb\t0.30000000000000004\n")
	tests := []struct {
		name, got string
		order     Order
		diff      string // "" when equal
	}{
		{"same", head + "a\t0.1\nb\t0.30000000000000004\n", Order{}, ""},
		{"unordered rows", head + "b\t0.30000000000000004\na\t0.1\n", Order{}, ""},
		{"sorted by k: order matters", head + "b\t0.30000000000000004\na\t0.1\n", Order{Sorted: true, Keys: []string{"k"}}, "order differs"},
		{"float summation order", head + "a\t0.1\nb\t0.3\n", Order{}, ""},
		{"float beyond tolerance", head + "a\t0.1\nb\t0.3001\n", Order{}, "row 2 differs"},
		{"other value", head + "a\t0.1\nc\t0.30000000000000004\n", Order{}, "differs"},
		{"row missing", head + "a\t0.1\n", Order{}, "2 rows on 18.16, 1 on 26"},
		{"other type", "k\tv\nString\tNullable(Float64)\na\t0.1\nb\t0.30000000000000004\n", Order{}, "column types differ"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := Compare(base, mustParse(t, tt.got), tt.order)
			if tt.diff == "" && d != "" || tt.diff != "" && !strings.Contains(d, tt.diff) {
				t.Errorf("Compare = %q, want %q", d, tt.diff)
			}
		})
	}
}

func TestCompareTiesAndZeroTime(t *testing.T) {
	want := mustParse(t, "k\tid\tt\nString\tString\tDateTime\na\t1\t0000-00-00 00:00:00\na\t2\t2024-01-01 00:00:00\n")
	got := mustParse(t, "k\tid\tt\nString\tString\tDateTime\na\t2\t2024-01-01 00:00:00\na\t1\t1970-01-01 00:00:00\n")
	if d := Compare(want, got, Order{Sorted: true, Keys: []string{"k"}}); d != "" {
		t.Errorf("rows tied on the sort key in another order: %s", d)
	}
	if d := Compare(want, got, Order{Sorted: true}); !strings.Contains(d, "order differs") {
		t.Errorf("without resolvable keys the order is compared row by row: %q", d)
	}
}

func TestCompareUTCType(t *testing.T) {
	want := mustParse(t, "t\nDateTime(\\'Etc/UTC\\')\n2024-01-01 00:00:00\n")
	if d := Compare(want, mustParse(t, "t\nDateTime\n2024-01-01 00:00:00\n"), Order{}); d != "" {
		t.Error(d)
	}
	if d := Compare(want, mustParse(t, "t\nDateTime('Europe/Berlin')\n2024-01-01 00:00:00\n"), Order{}); d == "" {
		t.Error("another time zone must differ")
	}
}

func TestParseTotals(t *testing.T) {
	want := mustParse(t, "k\tn\nUInt8\tUInt64\n\n0\t0\n")
	got := mustParse(t, "\n0\t0\nk\tn\nUInt8\tUInt64\n") // chDB: header after the totals
	if d := Compare(want, got, Order{}); d != "" {
		t.Error(d)
	}
}

func TestClassify(t *testing.T) {
	for sql, want := range map[string]Kind{
		"SELECT 1":                                            Read,
		"-- comment\n  WITH 1 AS x SELECT x":                  Read,
		"/* c */ SHOW TABLES":                                 Read,
		"INSERT INTO db.t (a) FORMAT Native":                  Change,
		"ALTER TABLE t DELETE WHERE 1":                        Change,
		"CREATE TABLE IF NOT EXISTS t (a UInt8) ENGINE = Log": Change,
		"CREATE DATABASE IF NOT EXISTS x":                     Harness,
	} {
		if got := Classify(sql); got != want {
			t.Errorf("Classify(%q) = %d, want %d", sql, got, want)
		}
	}
	if got := ForEmptySchema("INSERT INTO db.t (a, b) FORMAT Native"); got != "INSERT INTO db.t (a, b) SELECT a, b FROM db.t WHERE 0" {
		t.Errorf("ForEmptySchema: %q", got)
	}
	if !ReadsServerState("SELECT count() FROM system.mutations WHERE is_done = 0") || ReadsServerState("SELECT systemic FROM t") {
		t.Error("ReadsServerState")
	}
}

func TestOrdered(t *testing.T) {
	for sql, want := range map[string]Order{
		"SELECT a FROM t": {},
		"SELECT a FROM (SELECT a FROM t ORDER BY a) LIMIT 1":             {},
		"SELECT a, b FROM t ORDER BY a, b DESC LIMIT 10":                 {Sorted: true, Keys: []string{"a", "b"}},
		"SELECT a FROM t ORDER BY length(a) = 0, a":                      {Sorted: true},
		"SELECT 'ORDER BY x' FROM t":                                     {},
		"SELECT a FROM t ORDER BY a LIMIT 1 BY a SETTINGS max_threads=1": {Sorted: true, Keys: []string{"a"}},
	} {
		got := Ordered(sql)
		if got.Sorted != want.Sorted || strings.Join(got.Keys, ",") != strings.Join(want.Keys, ",") {
			t.Errorf("Ordered(%q) = %+v, want %+v", sql, got, want)
		}
	}
}
