package chstore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/cemhq/cem/pkg/chconn"
	"github.com/cemhq/cem/services/query/internal/apierr"
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

// New returns a Store over conn. metrics may be nil.
func New(conn Conn, opts Options, metrics *Metrics) (*Store, error) {
	if opts.Database == "" {
		opts.Database = "cem"
	}
	if !chconn.Ident(opts.Database) {
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

// run runs one statement with the settings of the Store and its own
// query_id. When the request's context ends first (its timeout, or the
// client went away), the server-side query is killed: clickhouse-go only
// closes the connection when the deadline hits the socket, and ClickHouse
// 18.16 keeps working on a query for seconds after that (measured: still
// running a second after the 504; max_execution_time is checked only
// between blocks).
func (s *Store) run(ctx context.Context, stmt func(context.Context) error) error {
	secs := max(1, int(s.maxExec/time.Second))
	if dl, ok := ctx.Deadline(); ok {
		if left := int(time.Until(dl) / time.Second); left >= 1 && left < secs {
			secs = left
		}
	}
	id := queryID()
	qctx := clickhouse.Context(ctx, clickhouse.WithQueryID(id), clickhouse.WithSettings(clickhouse.Settings{"max_execution_time": secs}))
	err := stmt(qctx)
	if err != nil && ended(ctx, err) {
		s.kill(id)
	}
	return err
}

// ended reports whether the statement's error came from the end of its
// request: the context is done, or the driver hit the socket deadline it
// set from the context's deadline (which can fire just before the
// context's own timer).
func ended(ctx context.Context, err error) bool {
	if ctx.Err() != nil {
		return true
	}
	if dl, ok := ctx.Deadline(); ok && !time.Now().Before(dl) {
		return true
	}
	var ne net.Error
	return errors.Is(err, os.ErrDeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout())
}

// kill asks ClickHouse to stop query id (KILL QUERY ... ASYNC), with a
// context of its own since the request's has ended. ClickHouse 18.16
// cannot cancel a query before its streams exist (while it prepares the
// read, e.g. FINAL over many parts, or builds the sets of subqueries): it
// answers cant_cancel or pending, and the kill is repeated every 100 ms
// until the query is cancelled or gone, for at most maxExec.
func (s *Store) kill(id string) {
	ctx, cancel := context.WithTimeout(context.Background(), s.maxExec)
	defer cancel()
	var err error
	for {
		var status string
		status, err = s.killOnce(ctx, id)
		if err != nil || (status != "cant_cancel" && status != "pending") {
			break
		}
		select {
		case <-ctx.Done():
			err = ctx.Err()
		case <-time.After(100 * time.Millisecond):
			continue
		}
		break
	}
	if s.metrics != nil {
		s.metrics.killed(err)
	}
}

// killOnce sends one KILL QUERY and returns its kill_status ("" when the
// query is gone).
func (s *Store) killOnce(ctx context.Context, id string) (string, error) {
	rows, err := s.conn.Query(ctx, "KILL QUERY WHERE query_id = ? ASYNC", id)
	if err != nil {
		return "", fmt.Errorf("kill query: %w", err)
	}
	defer rows.Close()
	// The answer is (kill_status, query_id, user, query, ...); only
	// kill_status matters.
	types := rows.ColumnTypes()
	status := ""
	for rows.Next() {
		dest := make([]any, len(types))
		for i, t := range types {
			dest[i] = reflect.New(t.ScanType()).Interface()
		}
		if err := rows.Scan(dest...); err != nil {
			return "", fmt.Errorf("kill query: %w", err)
		}
		for i, t := range types {
			if p, ok := dest[i].(*string); ok && t.Name() == "kill_status" {
				status = *p
			}
		}
	}
	return status, rows.Err()
}

// queryID returns a random query_id (128 bits, hex).
func queryID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
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
	return s.Rows(ctx, func(rows driver.Rows) error {
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
	}, query, args...)
}

// Rows runs query and calls use with its rows (closed afterwards); an
// error of use ends the query like one of the statement.
func (s *Store) Rows(ctx context.Context, use func(driver.Rows) error, query string, args ...any) error {
	if err := checkArgs(args); err != nil {
		return err
	}
	defer s.observe(ctx, time.Now())
	return s.run(ctx, func(ctx context.Context) error {
		rows, err := s.conn.Query(ctx, query, args...)
		if err != nil {
			return fmt.Errorf("query: %w", err)
		}
		defer rows.Close()
		return use(rows)
	})
}

// Row runs a single-row query and scans it into dest.
func (s *Store) Row(ctx context.Context, query string, args []any, dest ...any) error {
	if err := checkArgs(args); err != nil {
		return err
	}
	defer s.observe(ctx, time.Now())
	return s.run(ctx, func(ctx context.Context) error {
		if err := s.conn.QueryRow(ctx, query, args...).Scan(dest...); err != nil {
			return fmt.Errorf("query row: %w", err)
		}
		return nil
	})
}

// Exec runs a statement that returns no rows.
func (s *Store) Exec(ctx context.Context, query string, args ...any) error {
	if err := checkArgs(args); err != nil {
		return err
	}
	defer s.observe(ctx, time.Now())
	return s.run(ctx, func(ctx context.Context) error {
		if err := s.conn.Exec(ctx, query, args...); err != nil {
			return fmt.Errorf("exec: %w", err)
		}
		return nil
	})
}

// checkArgs refuses string arguments that contain a NUL byte: the driver
// binds arguments into the SQL text with only \ and ' escaped, and
// current ClickHouse ends a query at a raw NUL (18.16 read it as part of
// the string), so such a value would fail there with a server error. It is
// a 400 instead, on every version.
func checkArgs(args []any) error {
	for _, a := range args {
		var bad bool
		switch v := a.(type) {
		case string:
			bad = strings.ContainsRune(v, 0)
		case []string:
			bad = slices.ContainsFunc(v, func(s string) bool { return strings.ContainsRune(s, 0) })
		case clickhouse.GroupSet:
			bad = checkArgs(v.Value) != nil
		}
		if bad {
			return apierr.BadParam("parameter", "must not contain NUL (U+0000) characters")
		}
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
