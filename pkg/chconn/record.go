package chconn

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// EnvRecord, when set to a directory, makes every connection that Open
// returns in this process append each distinct statement it sends (the
// final SQL text, arguments bound) with its database to
// <dir>/statements-<pid>.jsonl, one {"db","sql"} object a line. It is a
// test hook: scripts/test.sh records the integration tests' statements on
// ClickHouse 18.16 and the compatibility suite (tests/chcompat) replays
// them on ClickHouse 26. Leave it unset in production.
const EnvRecord = "CEM_TEST_SQL_RECORD"

// sendingQuery is the message clickhouse-go logs (at debug level) with the
// final text of every statement it sends; TestRecord fails if a driver
// update changes it.
const sendingQuery = "sending query"

// Statement is one recorded statement.
type Statement struct {
	// DB is the database of the connection that sent it.
	DB string `json:"db"`
	// SQL is the statement as sent.
	SQL string `json:"sql"`
	// At is when it was first sent (Unix nanoseconds): statements of
	// several processes (a test and the services it starts) merge in order.
	At int64 `json:"at,omitempty"`
}

// recorder appends statements to this process's file, each distinct
// (database, statement) pair once.
type recorder struct {
	mu   sync.Mutex
	dir  string
	f    *os.File
	seen map[[32]byte]bool
	err  error
}

var (
	recMu     sync.Mutex
	recorders = map[string]*recorder{}
)

// recorderFor returns the process-wide recorder of dir.
func recorderFor(dir string) *recorder {
	recMu.Lock()
	defer recMu.Unlock()
	r := recorders[dir]
	if r == nil {
		r = &recorder{dir: dir, seen: map[[32]byte]bool{}}
		recorders[dir] = r
	}
	return r
}

func (r *recorder) record(db, sql string) {
	key := sha256.Sum256([]byte(db + "\x00" + sql))
	line, err := json.Marshal(Statement{DB: db, SQL: sql, At: time.Now().UnixNano()})
	if err != nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.seen[key] || r.err != nil {
		return
	}
	if r.f == nil {
		if r.err = os.MkdirAll(r.dir, 0o755); r.err == nil {
			name := filepath.Join(r.dir, fmt.Sprintf("statements-%d.jsonl", os.Getpid()))
			r.f, r.err = os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
		}
		if r.err != nil {
			fmt.Fprintf(os.Stderr, "chconn: %s: %v\n", EnvRecord, r.err)
			return
		}
	}
	r.seen[key] = true
	if _, err := r.f.Write(append(line, '\n')); err != nil {
		r.err = err
		fmt.Fprintf(os.Stderr, "chconn: %s: %v\n", EnvRecord, err)
	}
}

// recordHandler is the slog handler given to clickhouse-go in record mode:
// it keeps the driver's "sending query" debug records and drops the rest.
type recordHandler struct {
	rec *recorder
	db  string
}

// recordingLogger returns the driver logger of record mode, or nil when
// EnvRecord is unset.
func recordingLogger(database string) *slog.Logger {
	dir := os.Getenv(EnvRecord)
	if dir == "" {
		return nil
	}
	return slog.New(recordHandler{rec: recorderFor(dir), db: database})
}

func (h recordHandler) Enabled(context.Context, slog.Level) bool { return true }

func (h recordHandler) Handle(_ context.Context, r slog.Record) error {
	if r.Message != sendingQuery {
		return nil
	}
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == "query" {
			h.rec.record(h.db, a.Value.String())
			return false
		}
		return true
	})
	return nil
}

func (h recordHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h recordHandler) WithGroup(string) slog.Handler      { return h }
