package suppress

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/cemhq/cem/pkg/events"
	"github.com/cemhq/cem/pkg/junkid"
)

// Checker tells whether one id is suppressed; List and Held are ones.
type Checker interface {
	Suppressed(id string) bool
}

// Event reports whether ev belongs to a suppressed person: its userId, its
// anonymousId (the customer key) or the previousId an alias links. Junk
// ids never match (a List ignores them). A nil c suppresses nothing.
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

// generation is one loaded list and the writes that hold it.
type generation struct {
	ids     map[string]struct{}
	version uint64
	holds   atomic.Int64
	retired atomic.Bool
}

// List is the set of suppressed ids. Safe for concurrent use; the zero
// value suppresses nothing.
type List struct {
	connMu sync.Mutex
	conn   driver.Conn
	opts   Options

	mu  sync.RWMutex
	gen *generation

	// drained is signalled when the last Hold of a retired generation is
	// released, so that Run acknowledges without waiting for its tick.
	drained chan struct{}
	w       *writer
}

// Options configure a List.
type Options struct {
	// Database holds suppressed_ids and suppression_writers.
	Database string
	// Junk ids are never suppressed (junkid.New()).
	Junk junkid.Set
	// Kind names the writer in suppression_writers (collector, processor);
	// empty: the List never acknowledges (a reader only).
	Kind string
}

// New returns a List read from Database.suppressed_ids over conn (nil: set
// it later with Use).
func New(conn driver.Conn, opts Options) *List {
	l := &List{conn: conn, opts: opts, gen: &generation{}, drained: make(chan struct{}, 1)}
	if opts.Kind != "" {
		l.w = newWriter(opts.Kind)
	}
	return l
}

// Use sets the connection of a List made without one.
func (l *List) Use(conn driver.Conn) {
	l.connMu.Lock()
	l.conn = conn
	l.connMu.Unlock()
}

func (l *List) connection() driver.Conn {
	l.connMu.Lock()
	defer l.connMu.Unlock()
	return l.conn
}

// Suppressed reports whether id is suppressed by the list in force. A
// write must use a Hold instead, so that the erasure can wait for it.
func (l *List) Suppressed(id string) bool {
	if l == nil {
		return false
	}
	l.mu.RLock()
	g := l.gen
	l.mu.RUnlock()
	return l.match(g, id)
}

func (l *List) match(g *generation, id string) bool {
	// The lookup first: the list is mostly small or empty, which a lookup
	// answers without reading id, and most ids are not junk.
	_, ok := g.ids[id]
	return ok && !l.opts.Junk.Is(id)
}

// Len is the number of suppressed ids.
func (l *List) Len() int {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return len(l.gen.ids)
}

// Version is the suppressed_ids version of the list in force.
func (l *List) Version() uint64 {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.gen.version
}

// Held is the list in force for one write: check the write's ids with it,
// write, then Release (once). Until then the writer does not acknowledge a
// newer list, so an erasure waits for the write to end.
type Held interface {
	Checker
	Release()
}

// Holder hands out the list in force for a write; List is one.
type Holder interface {
	Hold() Held
}

var _ Holder = (*List)(nil)

// hold is a List's Held.
type hold struct {
	l *List
	g *generation
}

// none suppresses nothing.
type none struct{}

func (none) Suppressed(string) bool { return false }
func (none) Release()               {}

// Hold takes the list in force for a write. A nil List suppresses
// nothing.
func (l *List) Hold() Held {
	if l == nil {
		return none{}
	}
	l.mu.RLock()
	g := l.gen
	g.holds.Add(1)
	l.mu.RUnlock()
	return &hold{l: l, g: g}
}

// Suppressed reports whether id is suppressed by the held list.
func (h *hold) Suppressed(id string) bool { return h.l.match(h.g, id) }

// Release ends the write.
func (h *hold) Release() {
	if h.g.holds.Add(-1) == 0 && h.g.retired.Load() {
		select {
		case h.l.drained <- struct{}{}:
		default:
		}
	}
}

// swap puts a new list in force and returns the one it replaces.
func (l *List) swap(ids map[string]struct{}, version uint64) *generation {
	g := &generation{ids: ids, version: version}
	l.mu.Lock()
	old := l.gen
	l.gen = g
	l.mu.Unlock()
	old.retired.Store(true)
	return old
}

// Refresh reloads the list and puts it in force. A missing table
// (migrations not applied yet) is an empty list.
func (l *List) Refresh(ctx context.Context) error {
	v, err := l.maxVersion(ctx)
	if err != nil {
		return err
	}
	ids, err := l.load(ctx)
	if err != nil {
		return err
	}
	l.swap(ids, v)
	return nil
}

func (l *List) query(ctx context.Context, q string, each func(driver.Rows) error) error {
	conn := l.connection()
	if conn == nil {
		return fmt.Errorf("suppressed ids: no ClickHouse connection")
	}
	rows, err := conn.Query(ctx, q)
	if err != nil {
		if missingTable(err) {
			return nil
		}
		return fmt.Errorf("suppressed ids: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		if err := each(rows); err != nil {
			return fmt.Errorf("suppressed ids: %w", err)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("suppressed ids: %w", err)
	}
	return nil
}

func missingTable(err error) bool {
	s := err.Error()
	return strings.Contains(s, "doesn't exist") || strings.Contains(s, "UNKNOWN_TABLE") || strings.Contains(s, "code: 60")
}

// maxVersion is the newest version in suppressed_ids (0 when empty): read
// before the list, so that the list holds every row up to it.
func (l *List) maxVersion(ctx context.Context) (uint64, error) {
	var v uint64
	err := l.query(ctx, "SELECT max(version) FROM "+l.opts.Database+".suppressed_ids", func(rows driver.Rows) error {
		return rows.Scan(&v)
	})
	return v, err
}

func (l *List) load(ctx context.Context) (map[string]struct{}, error) {
	ids := map[string]struct{}{}
	err := l.query(ctx, "SELECT id FROM "+l.opts.Database+".suppressed_ids FINAL WHERE active = 1", func(rows driver.Rows) error {
		var id string
		if err := rows.Scan(&id); err != nil {
			return err
		}
		ids[id] = struct{}{}
		return nil
	})
	return ids, err
}
