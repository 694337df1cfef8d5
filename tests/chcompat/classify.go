package chcompat

import (
	"regexp"
	"strings"
)

// Kind says how the replay treats a statement.
type Kind int

const (
	// Read statements (SELECT, WITH, SHOW, DESCRIBE, EXISTS) run on both
	// engines over the same data; their answers are compared.
	Read Kind = iota
	// Change statements (DDL, INSERT, ALTER, OPTIMIZE, SYSTEM) run on 26
	// in the order sent, on the empty schema they build; they must not
	// fail.
	Change
	// Harness statements create or drop a test database; the replay does
	// that itself.
	Harness
)

var (
	leadingComments = regexp.MustCompile(`^(\s+|--[^\n]*(\n|$)|/\*(?s:.*?)\*/)*`)
	firstWords      = regexp.MustCompile(`^([A-Za-z]+)(\s+([A-Za-z]+))?`)
	// batchInsert is how clickhouse-go sends a batch: the rows follow as
	// Native blocks.
	batchInsert = regexp.MustCompile(`(?is)^(INSERT\s+INTO\s+(\S+)\s*\((.*)\))\s*FORMAT\s+Native\s*$`)
	// systemRead matches reads of server state that differs between
	// engines and servers by nature: system tables, cluster().
	systemRead = regexp.MustCompile(`(?i)\bsystem\s*\.|\bcluster(AllReplicas)?\s*\(|\bversion\s*\(`)
)

// body returns sql without leading whitespace and comments.
func body(sql string) string { return sql[len(leadingComments.FindString(sql)):] }

// Classify returns the kind of a statement.
func Classify(sql string) Kind {
	m := firstWords.FindStringSubmatch(body(sql))
	if m == nil {
		return Change
	}
	first, second := strings.ToUpper(m[1]), strings.ToUpper(m[3])
	switch first {
	case "SELECT", "WITH", "SHOW", "DESCRIBE", "DESC", "EXISTS":
		return Read
	case "CREATE", "DROP":
		if second == "DATABASE" {
			return Harness
		}
	}
	return Change
}

// ReadsServerState reports whether a read's answer depends on the server
// rather than on the data (system tables, cluster(), version()): such
// reads must run on 26, their answers are not compared.
func ReadsServerState(sql string) bool { return systemRead.MatchString(sql) }

// ForEmptySchema rewrites a statement for the schema-building pass of the
// replay: a batch insert (INSERT ... FORMAT Native, whose rows follow as
// blocks) becomes INSERT ... SELECT of the same columns from the same table,
// which checks the table and every column on 26 and inserts nothing.
func ForEmptySchema(sql string) string {
	m := batchInsert.FindStringSubmatch(body(sql))
	if m == nil {
		return sql
	}
	return m[1] + " SELECT " + m[3] + " FROM " + m[2] + " WHERE 0"
}

// Order is how a read sorts its answer.
type Order struct {
	// Sorted: the statement has an ORDER BY outside every parenthesis.
	Sorted bool
	// Keys are its sort keys when each is a plain column name (with
	// ASC/DESC), else nil.
	Keys []string
}

var (
	clauseEnd = regexp.MustCompile(`(?is)\s(LIMIT|SETTINGS|FORMAT|WITH\s+FILL|UNION)\b`)
	sortKey   = regexp.MustCompile(`(?i)^\s*([A-Za-z_][A-Za-z0-9_]*)(\s+(ASC|DESC))?\s*$`)
)

// Ordered returns how a read sorts its answer; rows of a sorted answer are
// compared in order.
func Ordered(sql string) Order {
	b := body(sql)
	i := orderByAt(b)
	if i < 0 {
		return Order{}
	}
	clause := b[i+len(orderBy.FindString(strings.ToUpper(b[i:]))):]
	if m := clauseEnd.FindStringIndex(clause); m != nil {
		clause = clause[:m[0]]
	}
	var keys []string
	for k := range strings.SplitSeq(clause, ",") {
		m := sortKey.FindStringSubmatch(k)
		if m == nil {
			return Order{Sorted: true}
		}
		keys = append(keys, m[1])
	}
	return Order{Sorted: true, Keys: keys}
}

// orderByAt returns the index of the last ORDER BY outside parentheses and
// strings, or -1.
func orderByAt(sql string) int {
	s := strings.ToUpper(sql)
	at, depth := -1, 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '(':
			depth++
		case ')':
			depth--
		case '\'', '`', '"':
			for i++; i < len(s) && s[i] != c; i++ {
				if s[i] == '\\' {
					i++
				}
			}
		case 'O':
			if depth == 0 && orderBy.MatchString(s[i:min(len(s), i+16)]) && (i == 0 || !isWord(s[i-1])) {
				at = i
			}
		}
	}
	return at
}

var orderBy = regexp.MustCompile(`^ORDER\s+BY\s`)

func isWord(c byte) bool { return c == '_' || c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' }
