//go:build chdb

package chcompat

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chdb-io/chdb-go/chdb"

	"github.com/cemhq/cem/pkg/itest"
)

// engine26 is ClickHouse 26 embedded (chDB). chdb-go keeps one session per
// process: every test shares it, each in its own databases.
type engine26 struct{ s *chdb.Session }

var (
	sessionOnce sync.Once
	session     *chdb.Session
	sessionErr  error
)

// newEngine26 returns the process's chDB session.
func newEngine26(t *testing.T) engine26 {
	t.Helper()
	sessionOnce.Do(func() {
		dir, err := os.MkdirTemp("", "chdb_")
		if err != nil {
			sessionErr = err
			return
		}
		session, sessionErr = chdb.NewSession(dir)
	})
	if sessionErr != nil {
		t.Fatalf("chdb session: %v", sessionErr)
	}
	e := engine26{s: session}
	v, err := e.query("SELECT version()")
	if err != nil || !strings.HasPrefix(v, "26.") {
		t.Fatalf("chdb: version %q, %v; want 26.x", v, err)
	}
	return e
}

// query runs sql and returns its answer in Format.
func (e engine26) query(sql string) (string, error) {
	r, err := e.s.Query(sql, Format)
	if err != nil {
		return "", err
	}
	defer r.Free()
	if err := r.Error(); err != nil {
		return "", err
	}
	out := r.String()
	if strings.HasPrefix(sql, "SELECT version()") {
		res, err := ParseTSV(out)
		if err != nil || len(res.Rows) != 1 {
			return "", fmt.Errorf("version: %q", out)
		}
		return res.Rows[0][0], nil
	}
	return out, nil
}

// server18 returns the HTTP interface of the test ClickHouse 18.16
// (CEM_TEST_CLICKHOUSE_HTTP_ADDR, else 127.0.0.1:$CEM_CH_HTTP_PORT).
func server18(t *testing.T) HTTPServer {
	t.Helper()
	addr := os.Getenv("CEM_TEST_CLICKHOUSE_HTTP_ADDR")
	if addr == "" && os.Getenv("CEM_CH_HTTP_PORT") != "" {
		addr = "127.0.0.1:" + os.Getenv("CEM_CH_HTTP_PORT")
	}
	if addr == "" {
		if itest.Required() {
			t.Fatal("no ClickHouse 18.16 HTTP address: CEM_TEST_CLICKHOUSE_HTTP_ADDR or CEM_CH_HTTP_PORT is not set")
		}
		t.Skip("no ClickHouse 18.16 HTTP address (CEM_TEST_CLICKHOUSE_HTTP_ADDR; scripts/test.sh provides it)")
	}
	s := HTTPServer{Addr: addr, Client: &http.Client{Timeout: 5 * time.Minute}}
	if _, err := s.Query(context.Background(), "default", "SELECT 1"); err != nil {
		t.Fatalf("clickhouse 18.16: %v", err)
	}
	return s
}

// TestMain closes the chDB session and removes its data directory.
func TestMain(m *testing.M) {
	code := m.Run()
	if session != nil {
		session.Cleanup()
	}
	os.Exit(code)
}
