package app_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/stretchr/testify/require"

	"github.com/cemhq/cem/pkg/chconn"
	"github.com/cemhq/cem/pkg/chmigrate"
	"github.com/cemhq/cem/pkg/itest"
	"github.com/cemhq/cem/pkg/telemetry"
	"github.com/cemhq/cem/services/query/internal/app"
)

const (
	testToken    = "test-token-0123456789"
	analystToken = "analyst-token-0123456789" // read scope only
	dpoToken     = "dpo-token-0123456789"     // export and erase only
)

// env is a query service over a fresh, migrated test database.
type env struct {
	t    *testing.T
	conn driver.Conn
	db   string
	srv  *httptest.Server
}

func newEnv(t *testing.T, mut ...func(*app.Config)) *env {
	t.Helper()
	conn, _, db := itest.ClickHouse(t)
	return startEnv(t, conn, chconn.Config{Database: db}, mut...)
}

// forEachLayout runs test on a single node and on the sharded test cluster
// (events and sessions split over the shards behind Distributed tables).
func forEachLayout(t *testing.T, test func(t *testing.T, e *env), mut ...func(*app.Config)) {
	itest.EachLayout(t, func(t *testing.T, conn driver.Conn, ch chconn.Config) { test(t, startEnv(t, conn, ch, mut...)) })
}

func startEnv(t *testing.T, conn driver.Conn, ch chconn.Config, mut ...func(*app.Config)) *env {
	t.Helper()
	db := ch.Database
	require.NoError(t, chmigrate.Apply(context.Background(), conn, chmigrate.For(ch)))
	cfg := app.Config{HTTPAddr: ":0", Query: app.Query{
		Tokens:  []string{testToken, "analyst:" + analystToken + ":read", "dpo:" + dpoToken + ":export+erase"},
		Timeout: 30 * time.Second, EraseTimeout: time.Minute, MaxRows: 1000,
		EraseAckTimeout: 2 * time.Second, EraseWriterTTL: 10 * time.Second,
		ExportMaxRows: 10000, MinN: 5, ServiceTargets: "phone=1h/6h,email=3h/12h,*=2h/8h",
	}}
	cfg.ClickHouse = ch
	for _, m := range mut {
		m(&cfg)
	}
	log := slog.New(slog.NewTextHandler(tlog{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	h, err := app.NewHandler(conn, cfg, log, telemetry.NewRegistry("query", "test"))
	require.NoError(t, err)
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &env{t: t, conn: conn, db: db, srv: srv}
}

// do sends a request with the test token and returns status and body.
func (e *env) do(method, path string, body any) (int, []byte) {
	e.t.Helper()
	return e.doAs(testToken, method, path, body)
}

// doAs is do with another token.
func (e *env) doAs(token, method, path string, body any) (int, []byte) {
	e.t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		require.NoError(e.t, err)
		rd = strings.NewReader(string(b))
	}
	req, err := http.NewRequest(method, e.srv.URL+path, rd)
	require.NoError(e.t, err)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(e.t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(e.t, err)
	return resp.StatusCode, b
}

// getJSON sends a request, requires 200 and decodes the body into out.
func (e *env) json(method, path string, body, out any) {
	e.t.Helper()
	code, b := e.do(method, path, body)
	require.Equal(e.t, http.StatusOK, code, "%s %s: %s", method, path, b)
	require.NoError(e.t, json.Unmarshal(b, out), string(b))
}

// tlog writes log lines to the test log.
type tlog struct{ t *testing.T }

func (l tlog) Write(b []byte) (int, error) {
	l.t.Log(strings.TrimSpace(string(b)))
	return len(b), nil
}
