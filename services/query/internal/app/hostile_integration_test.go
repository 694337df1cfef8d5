package app_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cemhq/cem/pkg/chmigrate"
	"github.com/cemhq/cem/pkg/itest"
	"github.com/cemhq/cem/pkg/telemetry"
	"github.com/cemhq/cem/services/query/internal/app"
)

// recordingConn records the SQL text (before argument binding) of every
// statement, to prove that request values never become SQL text.
type recordingConn struct {
	driver.Conn
	mu  sync.Mutex
	sql []string
}

func (c *recordingConn) record(q string) {
	c.mu.Lock()
	c.sql = append(c.sql, q)
	c.mu.Unlock()
}

func (c *recordingConn) take() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := c.sql
	c.sql = nil
	return out
}

func (c *recordingConn) Query(ctx context.Context, q string, args ...any) (driver.Rows, error) {
	c.record(q)
	return c.Conn.Query(ctx, q, args...)
}

func (c *recordingConn) QueryRow(ctx context.Context, q string, args ...any) driver.Row {
	c.record(q)
	return c.Conn.QueryRow(ctx, q, args...)
}

func (c *recordingConn) Exec(ctx context.Context, q string, args ...any) error {
	c.record(q)
	return c.Conn.Exec(ctx, q, args...)
}

func (c *recordingConn) PrepareBatch(ctx context.Context, q string, opts ...driver.PrepareBatchOption) (driver.Batch, error) {
	c.record(q)
	return c.Conn.PrepareBatch(ctx, q, opts...)
}

// hostile values: quotes, SQL fragments, placeholders, huge and odd
// numbers, unicode, control characters, invalid UTF-8, very long strings.
var hostile = []string{
	"'", "\"", "\\", "`", "' OR 1=1 --", "x' OR 'a'='a", "1; DROP TABLE events", "'); DROP TABLE events; --",
	"\\' OR \\'\\'=\\'", "?", "??", "\\?", "(?1)(?2)", "%", "%27", "{db}", "{{.DB}}", "$1", "@p1",
	"99999999999999999999999999", "-1", "-9223372036854775808", "9223372036854775807", "1e308", "-1e400", "NaN", "Inf", "0x7fffffff",
	"ünïcødé 🚀 顧客", "\u202eevil", "a\x00b", "\xff\xfe", "\r\nX-Injected: 1", "<script>alert(1)</script>",
	"../../etc/passwd", "${jndi:ldap://x}", "web,app,'", "true", "", " ", strings.Repeat("A", 5000),
	"SELECT * FROM system.tables", "visitParamExtractString(properties, 'x')", "1) UNION ALL SELECT name FROM system.users --",
}

func TestHostileParametersIntegration(t *testing.T) {
	conn, _, db := itest.ClickHouse(t)
	require.NoError(t, chmigrate.Apply(context.Background(), conn, chmigrate.Options{Database: db}))
	d := generate(31, 40)
	d.load(t, conn, db)
	rec := &recordingConn{Conn: conn}
	cfg := app.Config{HTTPAddr: ":0", Query: app.Query{
		Tokens: []string{testToken}, Timeout: 30 * time.Second, EraseTimeout: time.Minute, MaxRows: 1000,
		EraseAckTimeout: 10 * time.Second, EraseWriterTTL: 10 * time.Second,
		ExportMaxRows: 1000, MinN: 5, ServiceTargets: "*=1h/24h",
	}}
	cfg.ClickHouse.Database = db
	h, err := app.NewHandler(rec, cfg, slog.New(slog.NewTextHandler(tlog{t}, &slog.HandlerOptions{Level: slog.LevelWarn})), telemetry.NewRegistry("query", "test"))
	require.NoError(t, err)
	srv := httptest.NewServer(h)
	defer srv.Close()

	rng := rand.New(rand.NewPCG(42, 7))
	h1 := func() string { return hostile[rng.IntN(len(hostile))] }
	type call struct {
		method, path string
		body         string
	}
	getters := map[string][]string{
		"/api/v1/customers":                    {"id", "email", "name"},
		"/api/v1/paths":                        {"anchor", "direction", "depth", "limit", "from", "to", "keep_repeats"},
		"/api/v1/retention":                    {"cohort", "event", "grain", "periods", "from", "to"},
		"/api/v1/experience":                   {"metric", "by", "grain", "from", "to", "min_n", "sort", "limit"},
		"/api/v1/experience/touchpoints/worst": {"metric", "from", "to", "min_n", "limit"},
		"/api/v1/experience/journeys":          {"depth", "limit", "from", "to"},
		"/api/v1/service":                      {"from", "to"},
		"/api/v1/customers/" + d.Customers[0].User + "/timeline": {"from", "to", "channel", "event", "limit", "order", "cursor"},
		"/api/v1/segments/rfm":              {"segment", "limit", "after", "format"},
		"/api/v1/segments/contracts_ending": {"days", "limit", "after", "format"},
		"/api/v1/segments/lifecycle":        {"state", "limit", "after", "format"},
		"/api/v1/segments/rfm/history":      {"segment", "from", "to"},
		"/api/v1/alerts":                    {"days", "reason", "customer", "limit"},
	}
	valid := map[string]string{"reason": "complaint", "days": "30", "segment": "champions", "state": "new", "anchor": "Product Viewed", "direction": "next", "cohort": "first_seen", "grain": "week", "metric": "nps", "by": "channel"}
	var calls []call
	for path, names := range getters {
		for range 80 {
			q := url.Values{}
			for _, n := range names {
				switch {
				case rng.IntN(5) == 0:
					q.Set(n, h1())
				case valid[n] != "":
					q.Set(n, valid[n])
				}
			}
			calls = append(calls, call{"GET", path + "?" + q.Encode(), ""})
		}
	}
	for range 40 {
		id := url.PathEscape(h1())
		calls = append(calls, call{"GET", "/api/v1/customers/" + id, ""}, call{"GET", "/api/v1/customers/" + id + "/export", ""},
			call{"DELETE", "/api/v1/customers/" + id, ""}, call{"GET", "/api/v1/segments/" + id, ""},
			call{"GET", "/api/v1/customers/" + id + "/timeline", ""})
	}
	for range 150 {
		calls = append(calls, call{"POST", "/api/v1/funnels", hostileFunnel(rng, h1)})
	}
	calls = append(calls, call{"POST", "/api/v1/funnels", "{"}, call{"POST", "/api/v1/funnels", strings.Repeat("[", 1<<21)},
		call{"POST", "/api/v1/funnels", `{"steps":[{"event":"a"},{"event":"b"}]} trailing`})

	ok := map[string]int{}
	for _, c := range calls {
		req, err := http.NewRequest(c.method, srv.URL+c.path, strings.NewReader(c.body))
		require.NoError(t, err)
		req.Header.Set("Authorization", "Bearer "+testToken)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			ok[c.method+" "+strings.SplitN(c.path, "?", 2)[0]]++
		}
		assert.Less(t, resp.StatusCode, 500, "%s %s %.300s: %s", c.method, c.path, c.body, body)
		if resp.StatusCode >= 400 {
			assert.Contains(t, string(body), `"error":{"code":`, "%s %s", c.method, c.path)
		}
		for _, sql := range rec.take() {
			for _, v := range hostile {
				if len(v) >= 4 && !isSQLWord(v) {
					assert.NotContains(t, sql, v, "a request value became SQL text: %s %s", c.method, c.path)
				}
			}
		}
	}
	t.Logf("200 answers by endpoint: %v", ok)
	assert.Positive(t, ok["POST /api/v1/funnels"], "some hostile funnels are valid and reach ClickHouse")
	assert.Positive(t, ok["GET /api/v1/paths"], "some hostile path queries reach ClickHouse")
	assert.Positive(t, ok["GET /api/v1/customers"], "some hostile lookups reach ClickHouse")
	var n uint64
	require.NoError(t, conn.QueryRow(context.Background(), fmt.Sprintf("SELECT count() FROM %s.events", db)).Scan(&n))
	assert.Positive(t, n, "the events table survived")
}

// isSQLWord reports values that legitimately occur in the service's SQL.
func isSQLWord(v string) bool {
	return v == "true"
}

func hostileFunnel(rng *rand.Rand, h func() string) string {
	pick := func(xs ...string) string { return xs[rng.IntN(len(xs))] }
	val := func() string {
		switch rng.IntN(4) {
		case 0:
			return fmt.Sprintf("%q", h())
		case 1:
			return pick("1e308", "-1e308", "123456789012345678901234567890", "0", "-0.5", "1e-320")
		case 2:
			return pick("null", "true", "[]", "{}")
		}
		return fmt.Sprintf("%q", "pro")
	}
	var steps []string
	for range rng.IntN(12) {
		var where []string
		for range rng.IntN(3) {
			where = append(where, fmt.Sprintf(`{"property":%q,"op":%q,"value":%s}`, h(),
				pick("eq", "neq", "contains", "gt", "gte", "lt", "lte", "exists", h()), val()))
		}
		steps = append(steps, fmt.Sprintf(`{"event":%q,"where":[%s]}`, pick(h(), "Product Viewed", "Order Completed"), strings.Join(where, ",")))
	}
	if rng.IntN(2) == 0 { // structurally valid: hostile text reaches ClickHouse
		return fmt.Sprintf(`{"steps":[%s,{"event":%q}],"window_seconds":3600,"breakdown":"channel","dropoff":{"step":1,"after":%q}}`,
			fmt.Sprintf(`{"event":%q,"where":[{"property":%q,"op":%q,"value":%s}]}`, h(), h(), pick("eq", "neq", "contains", "gt", "exists"), val()),
			h(), h())
	}
	return fmt.Sprintf(`{"steps":[%s],"window_seconds":%s,"strict":%s,"from_ms":%s,"to_ms":%s,"breakdown":%q,"dropoff":{"step":%s,"limit":%s,"after":%q}}`,
		strings.Join(steps, ","), pick("0", "60", "-5", "99999999999999999999", "1.5", `"x"`), pick("true", "false", `"yes"`),
		pick("0", "-1", "1767225600000", "9223372036854775807"), pick("0", "1", "1893456000000"),
		pick("", "channel", "source", "campaign", h()), pick("1", "0", "99", "-1"), pick("10", "0", "100000000"), h())
}
