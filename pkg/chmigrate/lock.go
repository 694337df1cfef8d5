package chmigrate

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

// LockTable is the table, in the migrated database, that holds the
// migration lease: one row per contender (name, owner), the newest version
// of it counting.
const LockTable = "schema_lock"

const lockDDL = `CREATE TABLE IF NOT EXISTS {{.DB}}.` + LockTable + ` {{.OnCluster}}
(
    name       String,
    owner      String,
    claimed_ns UInt64,
    expires_ms Int64,
    released   UInt8,
    version    UInt64
)
ENGINE = {{engine "ReplacingMergeTree" "version"}}
ORDER BY (name, owner);`

// Lease timing: a contender's claim lives LeaseTTL unless renewed; the
// holder renews it every LeaseTTL/6 while it migrates, a waiter every poll.
// A claim counts only LeaseSettle after it was written, so that a claim
// written a moment earlier by another starter is visible by then.
var (
	LeaseTTL    = 30 * time.Second
	LeaseSettle = 500 * time.Millisecond
	LeasePoll   = 500 * time.Millisecond
)

// lease is one starter's claim of the migration lock. The lock goes to the
// live claim (not released, not expired) made first (claimed_ns, then
// owner), so starters are served in the order they came; a holder that
// dies stops renewing and its claim expires after LeaseTTL.
type lease struct {
	conn    driver.Conn
	db      string
	owner   string
	claimed uint64
}

const lockName = "migrate"

func newLease(conn driver.Conn, db string) *lease {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	host, _ := os.Hostname()
	return &lease{conn: conn, db: db, owner: fmt.Sprintf("%s/%d/%s", host, os.Getpid(), hex.EncodeToString(b)),
		claimed: uint64(time.Now().UnixNano())}
}

// write stores the claim's state: live until now + LeaseTTL, or released.
func (l *lease) write(ctx context.Context, released bool) error {
	now := time.Now()
	var rel uint8
	if released {
		rel = 1
	}
	// A batch: Exec of INSERT ... VALUES hangs on 18.16's native protocol.
	b, err := l.conn.PrepareBatch(ctx, "INSERT INTO "+l.db+"."+LockTable+" (name, owner, claimed_ns, expires_ms, released, version)")
	if err != nil {
		return fmt.Errorf("write migration lease: %w", err)
	}
	defer func() { _ = b.Abort() }()
	if err := b.Append(lockName, l.owner, l.claimed, now.Add(LeaseTTL).UnixMilli(), rel, uint64(now.UnixNano())); err != nil {
		return fmt.Errorf("write migration lease: %w", err)
	}
	if err := b.Send(); err != nil {
		return fmt.Errorf("write migration lease: %w", err)
	}
	return nil
}

// holder returns the owner of the first live claim, "" when none.
func (l *lease) holder(ctx context.Context) (string, error) {
	var owner string
	err := l.conn.QueryRow(ctx, "SELECT owner FROM "+l.db+"."+LockTable+" FINAL WHERE name = ? AND released = 0 AND expires_ms > ? ORDER BY claimed_ns, owner LIMIT 1",
		lockName, time.Now().UnixMilli()).Scan(&owner)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("read migration lease: %w", err)
	}
	return owner, nil
}

// acquire claims the lock and waits until it holds it or until done reports
// that there is nothing left to do (another starter migrated). It returns
// whether it holds the lock; the caller then releases it.
func (l *lease) acquire(ctx context.Context, done func(context.Context) (bool, error)) (bool, error) {
	if err := l.write(ctx, false); err != nil {
		return false, err
	}
	settle := time.NewTimer(LeaseSettle)
	select {
	case <-ctx.Done():
		settle.Stop()
		return false, ctx.Err()
	case <-settle.C:
	}
	for {
		owner, err := l.holder(ctx)
		if err != nil {
			return false, err
		}
		if owner == l.owner {
			return true, nil
		}
		if ok, err := done(ctx); err != nil || ok {
			return false, err
		}
		select {
		case <-ctx.Done():
			return false, ctx.Err()
		case <-time.After(LeasePoll):
		}
		if err := l.write(ctx, false); err != nil {
			return false, err
		}
	}
}

// renew keeps the claim alive until ctx ends.
func (l *lease) renew(ctx context.Context) {
	t := time.NewTicker(LeaseTTL / 6)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			_ = l.write(ctx, false) // a failed renewal is retried at the next tick
		}
	}
}
