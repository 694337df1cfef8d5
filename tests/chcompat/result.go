package chcompat

import (
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// Result is an answer in TabSeparatedWithNamesAndTypes.
type Result struct {
	Names, Types []string
	Rows         [][]string
}

// ParseTSV parses TabSeparatedWithNamesAndTypes output.
func ParseTSV(out string) (Result, error) {
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) == 4 && lines[0] == "" {
		// chDB writes the header after the totals when an answer WITH
		// TOTALS has no rows ("", totals, names, types); put it first.
		lines = []string{lines[2], lines[3], "", lines[1]}
	}
	if out == "" {
		return Result{}, nil // statements without an answer (no header either)
	}
	if len(lines) < 2 {
		return Result{}, fmt.Errorf("parse answer: no names and types header in %q", out)
	}
	r := Result{Names: strings.Split(lines[0], "\t"), Types: strings.Split(lines[1], "\t")}
	for _, l := range lines[2:] {
		if l == "" && len(r.Types) > 1 {
			// The blank line before the totals row (WITH TOTALS): a row of
			// its own, so the totals stay apart from the rows.
			r.Rows = append(r.Rows, make([]string, len(r.Types)))
			continue
		}
		f := strings.Split(l, "\t")
		if len(f) != len(r.Types) {
			return Result{}, fmt.Errorf("parse answer: %d fields, want %d: %q", len(f), len(r.Types), l)
		}
		r.Rows = append(r.Rows, f)
	}
	return r, nil
}

// The normalisations of Compare. Each is a difference of the text output
// format between the engines, not of the answer a client of the native
// protocol receives; docs/operations.md lists them.
var (
	// zeroTime: 18.16 prints the zero DateTime and Date (the Unix epoch, 0
	// on the wire) as 0000-00-00 00:00:00 and 0000-00-00, 26 as
	// 1970-01-01 00:00:00 and 1970-01-01.
	zeroTime = strings.NewReplacer("0000-00-00 00:00:00", "1970-01-01 00:00:00", "0000-00-00", "1970-01-01")
	// utcType: 18.16 names the type of toStartOfDay and the like over a
	// DateTime column DateTime('Etc/UTC') (the server's time zone), 26
	// DateTime; both engines run in UTC, so the values (compared as text)
	// are the same instants.
	utcType = regexp.MustCompile(`DateTime\(\\?'(Etc/)?UTC\\?'\)`) // TSV escapes the quotes
	number  = regexp.MustCompile(`-?(\d+\.?\d*([eE][-+]?\d+)?|inf|nan)`)
)

// floatTolerance is the relative difference up to which two floats are
// equal: sums and averages of floats depend on the order of summation,
// which differs between engines (and between runs of one engine with
// several threads).
const floatTolerance = 1e-9

// normalise returns the comparable form of a field of type typ: the zero
// time spelt one way and floats rounded to 9 significant digits (the key
// for sorting; Compare checks floats with floatTolerance).
func normalise(typ, v string) string {
	if strings.Contains(typ, "Date") {
		v = zeroTime.Replace(v)
	}
	if strings.Contains(typ, "Float") {
		v = number.ReplaceAllStringFunc(v, func(s string) string {
			f, err := strconv.ParseFloat(s, 64)
			if err != nil {
				return s
			}
			return strconv.FormatFloat(f, 'g', 9, 64)
		})
	}
	return v
}

// Compare reports how got (ClickHouse 26) differs from want (18.16), or ""
// when they are equal. Column names are not compared: unaliased expressions
// are named differently by the engines and cem scans rows by position.
// Column types must be equal. Rows are compared as a multiset; when the
// statement sorts (order.Sorted), also in order: by the sort keys when
// they are all result columns (rows that tie on them may come in any
// order), else row by row.
func Compare(want, got Result, order Order) string {
	if !slices.EqualFunc(want.Types, got.Types, func(a, b string) bool {
		return utcType.ReplaceAllString(a, "DateTime") == utcType.ReplaceAllString(b, "DateTime")
	}) {
		return fmt.Sprintf("column types differ: 18.16 %v, 26 %v", want.Types, got.Types)
	}
	if len(want.Rows) != len(got.Rows) {
		return fmt.Sprintf("%d rows on 18.16, %d on 26", len(want.Rows), len(got.Rows))
	}
	w, g := keyed(want), keyed(got)
	if order.Sorted {
		if d := compareOrder(want, got, order.Keys); d != "" {
			return d
		}
	}
	slices.SortFunc(w, func(a, b keyedRow) int { return strings.Compare(a.key, b.key) })
	slices.SortFunc(g, func(a, b keyedRow) int { return strings.Compare(a.key, b.key) })
	for i := range w {
		if d := compareRow(want.Types, w[i].row, g[i].row); d != "" {
			return fmt.Sprintf("row %d differs (%s): 18.16 %q, 26 %q", i+1, d, w[i].row, g[i].row)
		}
	}
	return ""
}

// compareOrder compares the order of the rows: the sequence of their sort
// key values when every key is a result column, else the rows themselves.
func compareOrder(want, got Result, keys []string) string {
	idx := make([]int, 0, len(keys))
	for _, k := range keys {
		i := slices.Index(want.Names, k)
		if i < 0 || slices.Index(got.Names, k) != i {
			idx = nil
			break
		}
		idx = append(idx, i)
	}
	if len(idx) == 0 {
		idx = make([]int, len(want.Types))
		for i := range idx {
			idx[i] = i
		}
	}
	for r := range want.Rows {
		for _, i := range idx {
			if normalise(want.Types[i], want.Rows[r][i]) != normalise(got.Types[i], got.Rows[r][i]) &&
				!(strings.Contains(want.Types[i], "Float") && floatsClose(want.Rows[r][i], got.Rows[r][i])) {
				return fmt.Sprintf("order differs at row %d (column %d): 18.16 %q, 26 %q", r+1, i+1, want.Rows[r], got.Rows[r])
			}
		}
	}
	return ""
}

type keyedRow struct {
	key string
	row []string
}

func keyed(r Result) []keyedRow {
	out := make([]keyedRow, len(r.Rows))
	for i, row := range r.Rows {
		norm := make([]string, len(row))
		for j, v := range row {
			norm[j] = normalise(r.Types[j], v)
		}
		out[i] = keyedRow{key: strings.Join(norm, "\t"), row: row}
	}
	return out
}

func compareRow(types, want, got []string) string {
	for j, typ := range types {
		w, g := normalise(typ, want[j]), normalise(typ, got[j])
		if w == g {
			continue
		}
		if !strings.Contains(typ, "Float") || !floatsClose(zeroTime.Replace(want[j]), zeroTime.Replace(got[j])) {
			return fmt.Sprintf("column %d, %s", j+1, typ)
		}
	}
	return ""
}

// floatsClose reports whether a and b are equal but for the numbers in
// them, which are within floatTolerance of each other.
func floatsClose(a, b string) bool {
	if number.ReplaceAllString(a, "0") != number.ReplaceAllString(b, "0") {
		return false
	}
	na, nb := number.FindAllString(a, -1), number.FindAllString(b, -1)
	for i := range na {
		x, err1 := strconv.ParseFloat(na[i], 64)
		y, err2 := strconv.ParseFloat(nb[i], 64)
		if err1 != nil || err2 != nil {
			if na[i] != nb[i] {
				return false
			}
			continue
		}
		if x != y && math.Abs(x-y) > floatTolerance*math.Max(math.Abs(x), math.Abs(y)) {
			return false
		}
	}
	return true
}
