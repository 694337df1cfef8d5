package chmigrate

import (
	"context"
	"fmt"
	"regexp"
	"strings"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

// CatchupMargin is how far before the newest row of the old table the
// catch-up of a rebuild starts, in milliseconds of its catch-up expression
// (24 h): rows that a writer still running the previous release put into
// the old table during the copy are copied again if they are younger than
// that when the copy ends (see rebuildSpec.catchup).
const CatchupMargin = 24 * 3600 * 1000

// crashAt, when set (tests), is called after each step of a rebuild
// ("copied": before the swap, "swapped": before the catch-up); an error
// stops the rebuild there as a crash would.
var crashAt func(table, step string) error

func step(table, name string) error {
	if crashAt == nil {
		return nil
	}
	return crashAt(table, name)
}

// rebuildSpec is a "-- rebuild <table>" statement: the CREATE TABLE of the
// table's new definition, applied by copy and swap.
type rebuildSpec struct {
	// table is the logical table (events), as readers name it.
	table string
	// copy maps a column of the new table to the expression that fills it
	// from the old table's row ("-- copy col = expr"); other columns are
	// copied by name, columns the old table lacks take their default.
	copy map[string]string
	// catchup is an expression of the old table's rows in milliseconds
	// that grows with the time a row was written ("-- catchup expr"):
	// after the swap, rows of the old table with catchup >= its maximum -
	// CatchupMargin are copied again (idempotent: copies collapse). Empty:
	// the whole old table is copied again.
	catchup string
}

var (
	rebuildRE = regexp.MustCompile(`(?m)^\s*--\s*rebuild\s+([A-Za-z_][A-Za-z0-9_]*)\s*$`)
	copyRE    = regexp.MustCompile(`(?m)^\s*--\s*copy\s+([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.+?)\s*$`)
	catchupRE = regexp.MustCompile(`(?m)^\s*--\s*catchup\s+(.+?)\s*$`)
)

// parseRebuild returns the rebuild directive of a raw statement, if any.
func parseRebuild(part string) (*rebuildSpec, error) {
	m := rebuildRE.FindStringSubmatch(part)
	if m == nil {
		return nil, nil
	}
	c := createRE.FindStringSubmatch(part)
	if c == nil || c[2] != m[1] {
		return nil, fmt.Errorf("rebuild %s: the statement must be the CREATE TABLE of %s", m[1], m[1])
	}
	rb := &rebuildSpec{table: m[1], copy: map[string]string{}}
	for _, cm := range copyRE.FindAllStringSubmatch(part, -1) {
		rb.copy[cm[1]] = cm[2]
	}
	if cm := catchupRE.FindStringSubmatch(part); cm != nil {
		rb.catchup = cm[1]
	}
	return rb, nil
}

// rebuildNames are the tables of one rebuild, without the database.
type rebuildNames struct {
	logical string // events: what readers and writers name
	local   string // the table that holds the rows: events, or events_local when sharded
	fresh   string // the new table while it is filled
	old     string // the old table after the swap, until it is dropped
	zk      string // the ZooKeeper name of the new table (rename-proof: no {table} macro)
	// freshDist and oldDist are Distributed tables over fresh and old in
	// sharded mode (the copy writes through one and the catch-up reads
	// through the other), else empty.
	freshDist, oldDist string
}

func namesOf(opts Options, table string, version uint32) rebuildNames {
	local := opts.Local(table)
	n := rebuildNames{logical: table, local: local,
		fresh: fmt.Sprintf("%s_new%04d", local, version), old: fmt.Sprintf("%s_old%04d", local, version),
		zk: fmt.Sprintf("%s_v%04d", local, version)}
	if opts.IsSharded(table) {
		n.freshDist, n.oldDist = fmt.Sprintf("%s_new%04d", table, version), fmt.Sprintf("%s_old%04d", table, version)
	}
	return n
}

// rebuild brings table to the definition create (the rendered CREATE TABLE
// of the fresh table) by copy and swap. Every step checks the state first,
// so running it again after a crash at any point converges:
//
//  1. old table absent: create fresh (IF NOT EXISTS); if the current table
//     already has fresh's keys, the swap happened before: drop fresh, done.
//     Else copy every row into fresh (again after a crash: the copies
//     collapse) and RENAME current TO old, fresh TO current in one statement.
//  2. old table present (the swap happened): copy its rows written in the
//     last CatchupMargin before its newest one again (rows an old writer
//     added during the copy), then drop it and the helper tables.
func rebuild(ctx context.Context, conn driver.Conn, opts Options, version uint32, rb *rebuildSpec, create string) error {
	n := namesOf(opts, rb.table, version)
	db := opts.Database
	if opts.IsSharded(rb.table) {
		// Distributed inserts must reach the shards before they return.
		ctx = clickhouse.Context(ctx, clickhouse.WithSettings(clickhouse.Settings{"insert_distributed_sync": 1}))
	}
	oldExists, err := tableExists(ctx, conn, db, n.old)
	if err != nil {
		return err
	}
	if !oldExists {
		done, err := copyFresh(ctx, conn, opts, n, rb, create)
		if err != nil || done {
			return err
		}
	} else if ok, err := tableExists(ctx, conn, db, n.local); err != nil {
		return err
	} else if !ok { // a crash between the two renames of one node
		if err := execf(ctx, conn, "RENAME TABLE %[1]s.%[2]s TO %[1]s.%[3]s %[4]s", db, n.fresh, n.local, opts.OnCluster()); err != nil {
			return err
		}
	}
	if err := step(n.logical, "swapped"); err != nil {
		return err
	}
	return catchUp(ctx, conn, opts, n, rb)
}

// copyFresh is step 1 of rebuild; done is true when nothing is left to do.
func copyFresh(ctx context.Context, conn driver.Conn, opts Options, n rebuildNames, rb *rebuildSpec, create string) (done bool, err error) {
	db := opts.Database
	if opts.Cluster != "" {
		// The rebuilt table replicates under n.zk: creating fresh again
		// would claim the replica of the live table.
		if ok, err := onPath(ctx, conn, db, n.local, n.zk); err != nil || ok {
			return ok, err
		}
	}
	if err := conn.Exec(ctx, create); err != nil {
		return false, fmt.Errorf("rebuild %s: create %s: %w", n.logical, n.fresh, err)
	}
	same, err := sameKeys(ctx, conn, db, n.local, n.fresh)
	if err != nil {
		return false, err
	}
	if same {
		return true, dropTables(ctx, conn, opts, n.freshDist, n.fresh)
	}
	into := n.fresh
	if n.freshDist != "" {
		if err := execf(ctx, conn, "CREATE TABLE IF NOT EXISTS %[1]s.%[2]s %[3]s AS %[1]s.%[4]s ENGINE = Distributed('%[5]s', '%[1]s', '%[4]s', %[6]s)",
			db, n.freshDist, opts.OnCluster(), n.fresh, opts.Cluster, ShardingKeys[n.logical]); err != nil {
			return false, err
		}
		into = n.freshDist
	}
	cols, exprs, err := copyColumns(ctx, conn, db, n.fresh, n.logical, rb)
	if err != nil {
		return false, err
	}
	if err := execf(ctx, conn, "INSERT INTO %s.%s (%s) SELECT %s FROM %s.%s", db, into, cols, exprs, db, n.logical); err != nil {
		return false, err
	}
	if err := step(n.logical, "copied"); err != nil {
		return false, err
	}
	if err := execf(ctx, conn, "RENAME TABLE %[1]s.%[2]s TO %[1]s.%[3]s, %[1]s.%[4]s TO %[1]s.%[2]s %[5]s", db, n.local, n.old, n.fresh, opts.OnCluster()); err != nil {
		return false, err
	}
	return false, nil
}

// catchUp is step 2 of rebuild.
func catchUp(ctx context.Context, conn driver.Conn, opts Options, n rebuildNames, rb *rebuildSpec) error {
	db := opts.Database
	from := n.old
	if n.oldDist != "" {
		if err := execf(ctx, conn, "CREATE TABLE IF NOT EXISTS %[1]s.%[2]s %[3]s AS %[1]s.%[4]s ENGINE = Distributed('%[5]s', '%[1]s', '%[4]s', %[6]s)",
			db, n.oldDist, opts.OnCluster(), n.old, opts.Cluster, ShardingKeys[n.logical]); err != nil {
			return err
		}
		from = n.oldDist
	}
	cols, exprs, err := copyColumns(ctx, conn, db, n.local, from, rb)
	if err != nil {
		return err
	}
	where := ""
	if rb.catchup != "" {
		where = fmt.Sprintf(" WHERE %[1]s >= (SELECT max(%[1]s) FROM %[2]s.%[3]s) - %[4]d", rb.catchup, db, from, CatchupMargin)
	}
	if err := execf(ctx, conn, "INSERT INTO %s.%s (%s) SELECT %s FROM %s.%s%s", db, n.logical, cols, exprs, db, from, where); err != nil {
		return err
	}
	return dropTables(ctx, conn, opts, n.oldDist, n.freshDist, n.old)
}

// copyColumns lists the columns of table into and the expressions that
// fill them from the rows of table from.
func copyColumns(ctx context.Context, conn driver.Conn, db, into, from string, rb *rebuildSpec) (cols, exprs string, err error) {
	target, err := columns(ctx, conn, db, into)
	if err != nil {
		return "", "", err
	}
	source, err := columns(ctx, conn, db, from)
	if err != nil {
		return "", "", err
	}
	have := map[string]bool{}
	for _, c := range source {
		have[c] = true
	}
	var cs, es []string
	for _, c := range target {
		switch e, ok := rb.copy[c]; {
		case ok:
			cs, es = append(cs, c), append(es, e+" AS "+c)
		case have[c]:
			cs, es = append(cs, c), append(es, c)
		}
	}
	if len(cs) == 0 {
		return "", "", fmt.Errorf("rebuild %s: no column of %s.%s in %s.%s", rb.table, db, into, db, from)
	}
	return strings.Join(cs, ", "), strings.Join(es, ", "), nil
}

func columns(ctx context.Context, conn driver.Conn, db, table string) ([]string, error) {
	rows, err := conn.Query(ctx, "SELECT name FROM system.columns WHERE database = ? AND table = ?", db, table)
	if err != nil {
		return nil, fmt.Errorf("read columns of %s.%s: %w", db, table, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			return nil, fmt.Errorf("read columns of %s.%s: %w", db, table, err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read columns of %s.%s: %w", db, table, err)
	}
	return out, nil
}

func tableExists(ctx context.Context, conn driver.Conn, db, table string) (bool, error) {
	var n uint64
	if err := conn.QueryRow(ctx, "SELECT count() FROM system.tables WHERE database = ? AND name = ?", db, table).Scan(&n); err != nil {
		return false, fmt.Errorf("look up %s.%s: %w", db, table, err)
	}
	return n > 0, nil
}

// sameKeys reports whether tables a and b have the same partition and
// sorting keys.
func sameKeys(ctx context.Context, conn driver.Conn, db, a, b string) (bool, error) {
	var n, keys uint64
	err := conn.QueryRow(ctx, `SELECT count(), uniqExact(partition_key, sorting_key) FROM system.tables WHERE database = ? AND name IN (?, ?)`, db, a, b).Scan(&n, &keys)
	if err != nil {
		return false, fmt.Errorf("compare keys of %s.%s and %s: %w", db, a, b, err)
	}
	return n == 2 && keys == 1, nil
}

// onPath reports whether table replicates under a ZooKeeper path ending in
// /zk.
func onPath(ctx context.Context, conn driver.Conn, db, table, zk string) (bool, error) {
	var n uint64
	err := conn.QueryRow(ctx, "SELECT count() FROM system.replicas WHERE database = ? AND table = ? AND endsWith(zookeeper_path, ?)", db, table, "/"+zk).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("look up replica of %s.%s: %w", db, table, err)
	}
	return n > 0, nil
}

// dropTables drops the named tables that exist ("" is skipped).
func dropTables(ctx context.Context, conn driver.Conn, opts Options, tables ...string) error {
	for _, t := range tables {
		if t == "" {
			continue
		}
		if err := execf(ctx, conn, "DROP TABLE IF EXISTS %s.%s %s", opts.Database, t, opts.OnCluster()); err != nil {
			return err
		}
	}
	return nil
}

func execf(ctx context.Context, conn driver.Conn, format string, args ...any) error {
	q := fmt.Sprintf(format, args...)
	if err := conn.Exec(ctx, q); err != nil {
		return fmt.Errorf("exec %s: %w", firstLine(q), err)
	}
	return nil
}

func firstLine(q string) string {
	if i := strings.IndexByte(q, '\n'); i >= 0 {
		q = q[:i]
	}
	if len(q) > 160 {
		q = q[:160] + "..."
	}
	return q
}
