package chstore

import (
	"context"
	"fmt"
	"regexp"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

// Conn is the part of driver.Conn the Store uses.
type Conn interface {
	Query(ctx context.Context, query string, args ...any) (driver.Rows, error)
	QueryRow(ctx context.Context, query string, args ...any) driver.Row
	Exec(ctx context.Context, query string, args ...any) error
	PrepareBatch(ctx context.Context, query string, opts ...driver.PrepareBatchOption) (driver.Batch, error)
	Ping(ctx context.Context) error
}

// Options configures a Store.
type Options struct {
	// Database holds the cem tables; a plain identifier. Default cem.
	Database string
	// MaxExecution is sent as max_execution_time with every query (whole
	// seconds, at least 1). Default 30s.
	MaxExecution time.Duration
}

// Store runs the query service's ClickHouse statements. It is safe for
// concurrent use.
type Store struct {
	conn    Conn
	db      string
	maxExec time.Duration
	metrics *Metrics
}

var identRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// Ident reports whether s is a plain identifier that may appear in SQL text.
func Ident(s string) bool { return identRE.MatchString(s) }

// New returns a Store over conn. metrics may be nil.
func New(conn Conn, opts Options, metrics *Metrics) (*Store, error) {
	if opts.Database == "" {
		opts.Database = "cem"
	}
	if !Ident(opts.Database) {
		return nil, fmt.Errorf("database %q is not a plain identifier", opts.Database)
	}
	if opts.MaxExecution <= 0 {
		opts.MaxExecution = 30 * time.Second
	}
	return &Store{conn: conn, db: opts.Database, maxExec: opts.MaxExecution, metrics: metrics}, nil
}

// DB is the database name (a checked identifier).
func (s *Store) DB() string { return s.db }

// Conn is the underlying connection.
func (s *Store) Conn() Conn { return s.conn }

// Ping reports whether ClickHouse answers.
func (s *Store) Ping(ctx context.Context) error { return s.conn.Ping(ctx) }

func (s *Store) settings(ctx context.Context) context.Context {
	secs := max(1, int(s.maxExec/time.Second))
	if dl, ok := ctx.Deadline(); ok {
		if left := int(time.Until(dl) / time.Second); left >= 1 && left < secs {
			secs = left
		}
	}
	return clickhouse.Context(ctx, clickhouse.WithSettings(clickhouse.Settings{"max_execution_time": secs}))
}

// Select runs query and calls scan once per row.
func (s *Store) Select(ctx context.Context, scan func(driver.Rows) error, query string, args ...any) error {
	return s.selectRows(ctx, scan, nil, query, args)
}

// SelectTotals is Select for a query WITH TOTALS: after the rows, totals
// scans the totals row into the destinations it returns.
func (s *Store) SelectTotals(ctx context.Context, scan func(driver.Rows) error, totals func() []any, query string, args ...any) error {
	return s.selectRows(ctx, scan, totals, query, args)
}

// selectRows is Select, then the totals row when totals is not nil.
func (s *Store) selectRows(ctx context.Context, scan func(driver.Rows) error, totals func() []any, query string, args []any) error {
	defer s.observe(ctx, time.Now())
	rows, err := s.conn.Query(s.settings(ctx), query, args...)
	if err != nil {
		return fmt.Errorf("query: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		if err := scan(rows); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("query rows: %w", err)
	}
	if totals == nil {
		return nil
	}
	if err := rows.Totals(totals()...); err != nil {
		return fmt.Errorf("query totals: %w", err)
	}
	return nil
}

// Rows runs query and returns its rows; the caller closes them.
func (s *Store) Rows(ctx context.Context, query string, args ...any) (driver.Rows, error) {
	defer s.observe(ctx, time.Now())
	rows, err := s.conn.Query(s.settings(ctx), query, args...)
	if err != nil {
		return nil, fmt.Errorf("query: %w", err)
	}
	return rows, nil
}

// Row runs a single-row query and scans it into dest.
func (s *Store) Row(ctx context.Context, query string, args []any, dest ...any) error {
	defer s.observe(ctx, time.Now())
	if err := s.conn.QueryRow(s.settings(ctx), query, args...).Scan(dest...); err != nil {
		return fmt.Errorf("query row: %w", err)
	}
	return nil
}

// Exec runs a statement that returns no rows.
func (s *Store) Exec(ctx context.Context, query string, args ...any) error {
	defer s.observe(ctx, time.Now())
	if err := s.conn.Exec(s.settings(ctx), query, args...); err != nil {
		return fmt.Errorf("exec: %w", err)
	}
	return nil
}

func (s *Store) observe(ctx context.Context, start time.Time) {
	if s.metrics != nil {
		s.metrics.observe(EndpointFrom(ctx), time.Since(start))
	}
}

// Set binds a list of strings for "x IN ?" as a parenthesised tuple, the form
// ClickHouse 18.16 accepts (a plain slice binds as an array). An empty list
// binds as (”) so the SQL stays valid; callers avoid querying with none.
func Set(values []string) clickhouse.GroupSet {
	if len(values) == 0 {
		return clickhouse.GroupSet{Value: []any{""}}
	}
	v := make([]any, len(values))
	for i, s := range values {
		v[i] = s
	}
	return clickhouse.GroupSet{Value: v}
}
