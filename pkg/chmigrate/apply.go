package chmigrate

import (
	"context"
	"fmt"
	"io/fs"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/cemhq/cem/schemas"
)

// Table is the table, in the migrated database, that records applied
// migrations.
const Table = "schema_migrations"

const bootstrap = `CREATE DATABASE IF NOT EXISTS {{.DB}} {{.OnCluster}};
CREATE TABLE IF NOT EXISTS {{.DB}}.` + Table + ` {{.OnCluster}}
(
    version    UInt32,
    name       String,
    checksum   String,
    applied_at DateTime
)
ENGINE = {{engine "ReplacingMergeTree"}}
ORDER BY version;
` + lockDDL

// Apply applies the migrations of schemas.ClickHouse that are not yet
// recorded in opts.Database, in version order. It creates the database and
// the schema_migrations table when missing.
func Apply(ctx context.Context, conn driver.Conn, opts Options) error {
	sub, err := fs.Sub(schemas.ClickHouse, "clickhouse")
	if err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	_, err = ApplyFS(ctx, conn, sub, opts)
	return err
}

// ApplyFS is Apply for the migrations at the root of fsys; it returns the
// migrations it applied (none when everything was applied before).
func ApplyFS(ctx context.Context, conn driver.Conn, fsys fs.FS, opts Options) ([]Migration, error) {
	opts = opts.withDefaults()
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	all, err := Load(fsys)
	if err != nil {
		return nil, err
	}
	boot, err := Render("bootstrap", bootstrap, opts)
	if err != nil {
		return nil, err
	}
	for _, stmt := range boot {
		if err := conn.Exec(ctx, stmt); err != nil {
			return nil, fmt.Errorf("create %s.%s: %w", opts.Database, Table, err)
		}
	}
	pending := func(ctx context.Context) ([]Migration, error) {
		done, err := applied(ctx, conn, opts.Database)
		if err != nil {
			return nil, err
		}
		var out []Migration
		for _, m := range all {
			if sum, ok := done[m.Version]; !ok {
				out = append(out, m)
			} else if sum != m.Checksum {
				return nil, fmt.Errorf("migration %04d_%s changed after it was applied (checksum %.12s, recorded %.12s): add a new migration instead",
					m.Version, m.Name, m.Checksum, sum)
			}
		}
		return out, nil
	}
	todo, err := pending(ctx)
	if err != nil || len(todo) == 0 {
		return nil, err
	}
	// One starter migrates; the others wait until the versions they know
	// are applied (lock.go).
	l := newLease(conn, opts.Database)
	held, err := l.acquire(ctx, func(ctx context.Context) (bool, error) {
		todo, err := pending(ctx)
		return len(todo) == 0, err
	})
	if err != nil || !held {
		return nil, err
	}
	renewCtx, stopRenew := context.WithCancel(ctx)
	go l.renew(renewCtx)
	defer func() {
		stopRenew()
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		_ = l.write(rctx, true) // unreleased, the claim expires after LeaseTTL
	}()
	if todo, err = pending(ctx); err != nil { // applied while we waited
		return nil, err
	}
	var out []Migration
	for _, m := range todo {
		if err := applyOne(ctx, conn, opts, m); err != nil {
			return out, err
		}
		out = append(out, m)
	}
	return out, nil
}

// applied returns the recorded checksum of every applied version.
func applied(ctx context.Context, conn driver.Conn, db string) (map[uint32]string, error) {
	rows, err := conn.Query(ctx, "SELECT version, checksum FROM "+db+"."+Table+" FINAL")
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", Table, err)
	}
	defer rows.Close()
	done := map[uint32]string{}
	for rows.Next() {
		var v uint32
		var sum string
		if err := rows.Scan(&v, &sum); err != nil {
			return nil, fmt.Errorf("read %s: %w", Table, err)
		}
		done[v] = sum
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read %s: %w", Table, err)
	}
	return done, nil
}

func applyOne(ctx context.Context, conn driver.Conn, opts Options, m Migration) error {
	for i, part := range Split(m.Source) {
		stmts, rb, err := renderPart(m.label(), i, m.Version, part, opts)
		if err != nil {
			return err
		}
		if rb != nil {
			if err := rebuild(ctx, conn, opts.withDefaults(), m.Version, rb, stmts[0]); err != nil {
				return fmt.Errorf("migration %s statement %d: %w", m.label(), i+1, err)
			}
			continue
		}
		for _, stmt := range stmts {
			if err := conn.Exec(ctx, stmt); err != nil {
				return fmt.Errorf("migration %s statement %d: %w", m.label(), i+1, err)
			}
		}
	}
	batch, err := conn.PrepareBatch(ctx, "INSERT INTO "+opts.Database+"."+Table+" (version, name, checksum, applied_at)")
	if err != nil {
		return fmt.Errorf("record migration %04d: %w", m.Version, err)
	}
	defer func() { _ = batch.Abort() }()
	if err := batch.Append(m.Version, m.Name, m.Checksum, time.Now().UTC().Truncate(time.Second)); err != nil {
		return fmt.Errorf("record migration %04d: %w", m.Version, err)
	}
	if err := batch.Send(); err != nil {
		return fmt.Errorf("record migration %04d: %w", m.Version, err)
	}
	return nil
}
