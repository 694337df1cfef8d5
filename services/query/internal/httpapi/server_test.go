package httpapi_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cemhq/cem/pkg/telemetry"
	"github.com/cemhq/cem/services/query/internal/app"
	"github.com/cemhq/cem/services/query/internal/chstore"
	"github.com/cemhq/cem/services/query/internal/httpapi"
)

// downConn is a ClickHouse connection that is always down.
type downConn struct{ chstore.Conn }

var errDown = errors.New("clickhouse down")

func (downConn) Ping(context.Context) error { return errDown }
func (downConn) Query(context.Context, string, ...any) (driver.Rows, error) {
	return nil, errDown
}

const (
	token     = "unit-test-token-0123456789"
	readToken = "read-only-token-0123456789"
	dpoToken  = "dpo-token-0123456789"
)

func newServer(t *testing.T) (*httptest.Server, *app.Config) {
	t.Helper()
	cfg := &app.Config{HTTPAddr: ":0", Query: app.Query{Tokens: []string{token, "second-token-0123456789", "reader:" + readToken + ":read", "dpo:" + dpoToken + ":export+erase"}, Timeout: 5 * time.Second,
		EraseTimeout: 5 * time.Second, MaxRows: 100, ExportMaxRows: 100, MinN: 1, ServiceTargets: "*=1h/1h"}}
	cfg.ClickHouse.Database = "cem"
	reg := telemetry.NewRegistry("query", "test")
	h, err := app.NewHandler(downConn{}, *cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), reg)
	require.NoError(t, err)
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv, cfg
}

func get(t *testing.T, url, auth string) (int, string) {
	t.Helper()
	req, err := http.NewRequest("GET", url, nil)
	require.NoError(t, err)
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestAuth(t *testing.T) {
	srv, _ := newServer(t)
	for _, tc := range []struct {
		name, auth string
		want       int
	}{
		{"missing", "", http.StatusUnauthorized},
		{"wrong token", "Bearer nope", http.StatusUnauthorized},
		{"prefix of a token", "Bearer " + token[:10], http.StatusUnauthorized},
		{"basic scheme", "Basic " + token, http.StatusUnauthorized},
		{"valid, bad params", "Bearer " + token, http.StatusBadRequest},
		{"second token, lower-case scheme", "bearer second-token-0123456789", http.StatusBadRequest},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, body := get(t, srv.URL+"/api/v1/retention?grain=year", tc.auth)
			assert.Equal(t, tc.want, code, body)
			assert.True(t, strings.HasPrefix(body, `{"error":{"code":"`), body)
		})
	}
}

func do(t *testing.T, method, url, tok string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestScopes: a token's scopes decide what it may call (403 otherwise); a
// token configured without scopes (the old format) may call everything.
func TestScopes(t *testing.T) {
	srv, _ := newServer(t)
	for _, tc := range []struct {
		name, method, path, tok string
		want                    int
	}{
		{"read token reads", "GET", "/api/v1/retention?grain=year", readToken, http.StatusBadRequest},
		{"read token cannot export", "GET", "/api/v1/customers/u-1/export", readToken, http.StatusForbidden},
		{"read token cannot erase", "DELETE", "/api/v1/customers/u-1", readToken, http.StatusForbidden},
		{"dpo token cannot read analyses", "GET", "/api/v1/retention?grain=year", dpoToken, http.StatusForbidden},
		{"dpo token exports", "GET", "/api/v1/customers/u-1/export", dpoToken, http.StatusInternalServerError},
		{"dpo token erases", "DELETE", "/api/v1/customers/u-1", dpoToken, http.StatusInternalServerError},
		{"unscoped token exports", "GET", "/api/v1/customers/u-1/export", token, http.StatusInternalServerError},
		{"unscoped token erases", "DELETE", "/api/v1/customers/u-1", token, http.StatusInternalServerError},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// ClickHouse is down here: 500 means the request got past auth.
			code, body := do(t, tc.method, srv.URL+tc.path, tc.tok)
			assert.Equal(t, tc.want, code, body)
			if tc.want == http.StatusForbidden {
				assert.Contains(t, body, `"forbidden"`)
			}
		})
	}
}

func TestParseTokens(t *testing.T) {
	ts, err := httpapi.ParseTokens([]string{token, " ", "dpo:" + dpoToken + ":export+Erase", "ops:" + readToken, "root:" + token + "x:admin"})
	require.NoError(t, err)
	require.Len(t, ts, 4)
	assert.Regexp(t, `^token-[0-9a-f]{8}$`, ts[0].Name, "a bare token gets a name that is not its secret")
	assert.NotContains(t, ts[0].Name, token[:8])
	for _, s := range []httpapi.Scope{httpapi.ScopeRead, httpapi.ScopeExport, httpapi.ScopeErase, httpapi.ScopeWrite, httpapi.ScopeAdmin} {
		assert.True(t, ts[0].Allows(s), "bare token: %s", s)
		assert.True(t, ts[2].Allows(s), "name:token: %s", s)
		assert.True(t, ts[3].Allows(s), "admin: %s", s)
	}
	assert.Equal(t, "dpo", ts[1].Name)
	assert.Equal(t, []httpapi.Scope{httpapi.ScopeExport, httpapi.ScopeErase}, ts[1].Scopes())
	assert.False(t, ts[1].Allows(httpapi.ScopeRead))
	for entry, msg := range map[string]string{
		"a:" + token + ":read:x": "want token",
		"a:short:read":           "16 characters",
		"a b:" + token:           "name",
		"a:" + token + ":delete": "unknown scope",
		"":                       "at least one token",
	} {
		_, err := httpapi.ParseTokens([]string{entry})
		assert.ErrorContains(t, err, msg, entry)
	}
	_, err = httpapi.ParseTokens([]string{"a:" + token, "a:" + dpoToken})
	assert.ErrorContains(t, err, "used twice")
}

func TestHealthAndErrors(t *testing.T) {
	srv, _ := newServer(t)
	code, _ := get(t, srv.URL+"/healthz", "")
	assert.Equal(t, http.StatusOK, code)
	code, body := get(t, srv.URL+"/readyz", "")
	assert.Equal(t, http.StatusServiceUnavailable, code, "not ready while ClickHouse is down")
	assert.Contains(t, body, "clickhouse")

	code, body = get(t, srv.URL+"/api/v1/service", "Bearer "+token)
	assert.Equal(t, http.StatusInternalServerError, code)
	assert.JSONEq(t, `{"error":{"code":"internal","message":"internal error"}}`, body, "no internals leak")

	code, body = get(t, srv.URL+"/api/v1/nope", "Bearer "+token)
	assert.Equal(t, http.StatusNotFound, code)
	assert.Contains(t, body, `"not_found"`)

	code, body = get(t, srv.URL+"/api/v1/paths?anchor=x&depth=99", "Bearer "+token)
	assert.Equal(t, http.StatusBadRequest, code)
	assert.JSONEq(t, `{"error":{"code":"invalid_parameter","message":"depth: must be an integer between 1 and 8"}}`, body)

	code, body = get(t, srv.URL+"/metrics", "")
	assert.Equal(t, http.StatusOK, code)
	assert.Contains(t, body, `cem_query_requests_total{code="400",endpoint="GET /api/v1/paths"} 1`)
	assert.Contains(t, body, `cem_query_requests_total{code="500",endpoint="GET /api/v1/service"} 1`)
	assert.Contains(t, body, `cem_query_clickhouse_duration_seconds_count{endpoint="GET /api/v1/service"} 1`)
	assert.Contains(t, body, `cem_build_info{service="query",version="test"} 1`)
}

func TestConfigValidate(t *testing.T) {
	cfg := app.Config{HTTPAddr: ":8090", Query: app.Query{Timeout: time.Second, EraseTimeout: time.Second, EraseAckTimeout: time.Second,
		EraseWriterTTL: time.Second, ShutdownTimeout: time.Second, MaxRows: 1, ExportMaxRows: 1, HeavyPerToken: 1}}
	require.ErrorContains(t, cfg.Validate(), "CEM_QUERY_TOKENS")
	cfg.Query.Tokens = []string{"short"}
	require.ErrorContains(t, cfg.Validate(), "16 characters")
	cfg.Query.Tokens = []string{token}
	cfg.Query.ServiceTargets = "phone=fast"
	require.ErrorContains(t, cfg.Validate(), "CEM_QUERY_SERVICE_TARGETS")
	cfg.Query.ServiceTargets = "phone=5m/1h"
	require.NoError(t, cfg.Validate())
}

func TestTimeoutsAre504(t *testing.T) {
	for _, err := range []error{context.DeadlineExceeded, os.ErrDeadlineExceeded, &net.OpError{Op: "read", Err: os.ErrDeadlineExceeded}} {
		assert.Equal(t, http.StatusGatewayTimeout, httpapi.StatusOf(err), "%v", err)
	}
	assert.Equal(t, http.StatusInternalServerError, httpapi.StatusOf(errors.New("boom")))
}
