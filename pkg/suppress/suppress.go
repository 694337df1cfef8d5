// Package suppress holds the ids whose data was erased on request (GDPR):
// the query service records them in the ClickHouse table suppressed_ids
// (migration 0020) when it erases a customer; the collector refuses new
// events of these ids and the processor drops those still in flight.
//
// The list is polled from ClickHouse, so a new suppression takes effect
// within one refresh interval; when ClickHouse is unreachable the last list
// stays in force (ingestion never depends on ClickHouse being up).
package suppress

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/cemhq/cem/pkg/events"
)

// Checker tells whether one id is suppressed; List is one.
type Checker interface {
	Suppressed(id string) bool
}

// Event reports whether any id of ev (userId, anonymousId, previousId) is
// suppressed by c. A nil c suppresses nothing.
func Event(c Checker, ev *events.Event) bool {
	if c == nil {
		return false
	}
	for _, id := range []string{ev.UserID, ev.AnonymousID, ev.PreviousID} {
		if id != "" && c.Suppressed(id) {
			return true
		}
	}
	return false
}

// List is the set of suppressed ids. Safe for concurrent use; the zero
// value suppresses nothing.
type List struct {
	connMu sync.Mutex
	conn   driver.Conn
	db     string

	mu  sync.RWMutex
	ids map[string]struct{}

	refreshed atomic.Int64 // unix ms of the last successful refresh
}

// New returns a List read from db.suppressed_ids over conn.
func New(conn driver.Conn, db string) *List {
	return &List{conn: conn, db: db}
}

// Use sets the connection of a List made without one.
func (l *List) Use(conn driver.Conn) {
	l.connMu.Lock()
	l.conn = conn
	l.connMu.Unlock()
}

// Suppressed reports whether id is suppressed.
func (l *List) Suppressed(id string) bool {
	if l == nil {
		return false
	}
	l.mu.RLock()
	defer l.mu.RUnlock()
	_, ok := l.ids[id]
	return ok
}

// Len is the number of suppressed ids.
func (l *List) Len() int {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return len(l.ids)
}

// Refresh reloads the list. A missing table (migrations not applied yet)
// is an empty list.
func (l *List) Refresh(ctx context.Context) error {
	l.connMu.Lock()
	conn := l.conn
	l.connMu.Unlock()
	if conn == nil {
		return fmt.Errorf("suppressed ids: no ClickHouse connection")
	}
	rows, err := conn.Query(ctx, "SELECT id FROM "+l.db+".suppressed_ids FINAL WHERE active = 1")
	if err != nil {
		if strings.Contains(err.Error(), "doesn't exist") || strings.Contains(err.Error(), "UNKNOWN_TABLE") || strings.Contains(err.Error(), "code: 60") {
			l.set(map[string]struct{}{})
			return nil
		}
		return fmt.Errorf("suppressed ids: %w", err)
	}
	defer rows.Close()
	ids := map[string]struct{}{}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return fmt.Errorf("suppressed ids: %w", err)
		}
		ids[id] = struct{}{}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("suppressed ids: %w", err)
	}
	l.set(ids)
	return nil
}

func (l *List) set(ids map[string]struct{}) {
	l.mu.Lock()
	l.ids = ids
	l.mu.Unlock()
	l.refreshed.Store(time.Now().UnixMilli())
}

// Run refreshes the list every interval (10 s when not positive) until ctx
// ends, logging failures.
func (l *List) Run(ctx context.Context, interval time.Duration, log *slog.Logger) {
	if interval <= 0 {
		interval = 10 * time.Second
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if err := l.Refresh(ctx); err != nil && ctx.Err() == nil {
			log.Warn("suppression list refresh failed; keeping the last list", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
