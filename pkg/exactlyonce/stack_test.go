package exactlyonce

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/stretchr/testify/require"

	"github.com/cemhq/cem/pkg/chconn"
	"github.com/cemhq/cem/pkg/itest"
)

const (
	writeKey = "exactly-once-web-key"
	token    = "exactly-once-query-token"
)

// stack is the dev broker, a processor (scoring every second), collectors
// and a query service on one test database.
type stack struct {
	t        *testing.T
	ch       chconn.Config
	conn     driver.Conn
	kafka    string
	dataDir  string
	broker   *itest.Process
	proc     *itest.Process
	admin    string
	query    string
	colls    []*itest.Process
	collURLs []string
}

func (s *stack) env(extra map[string]string) map[string]string {
	m := map[string]string{
		"CEM_KAFKA_BROKERS": s.kafka, "CEM_CLICKHOUSE_ADDR": s.ch.Addr, "CEM_CLICKHOUSE_DATABASE": s.ch.Database,
		"CEM_LOG_LEVEL": "info", "CEM_LOG_FORMAT": "text",
	}
	if s.ch.Cluster != "" {
		m["CEM_CLICKHOUSE_CLUSTER"] = s.ch.Cluster
		m["CEM_CLICKHOUSE_SHARDED"] = strconv.FormatBool(s.ch.Sharded)
	}
	for k, v := range extra {
		m[k] = v
	}
	return m
}

// newStack starts broker, processor and query service on the database of
// cfg; collectors are started with startCollector.
func newStack(t *testing.T, conn driver.Conn, cfg chconn.Config) *stack {
	s := &stack{t: t, ch: cfg, conn: conn, dataDir: filepath.Join(t.TempDir(), "kafka")}
	s.kafka = "127.0.0.1:" + strconv.Itoa(itest.FreePort(t))
	s.startBroker()
	s.admin = "http://127.0.0.1:" + strconv.Itoa(itest.FreePort(t))
	s.proc = itest.Start(t, itest.BuildService(t, "processor"), s.env(map[string]string{
		"CEM_PROCESSOR_ADMIN_ADDR": strings.TrimPrefix(s.admin, "http://"), "CEM_PROCESSOR_FLUSH_INTERVAL": "200ms",
		"CEM_SCORES_INTERVAL": "1s",
	}))
	itest.Eventually(t, 3*time.Minute, func() bool { return itest.Ready(s.admin + "/readyz") }, "processor ready (ClickHouse migrated)")
	s.query = "http://127.0.0.1:" + strconv.Itoa(itest.FreePort(t))
	itest.Start(t, itest.BuildService(t, "query"), s.env(map[string]string{
		"CEM_HTTP_ADDR": strings.TrimPrefix(s.query, "http://"), "CEM_QUERY_TOKENS": token, "CEM_QUERY_MIN_N": "1",
	}))
	itest.Eventually(t, time.Minute, func() bool { return itest.Ready(s.query + "/readyz") }, "query service ready")
	return s
}

// startBroker starts the dev broker on s.kafka with its data directory
// (again after a kill: the same port and data).
func (s *stack) startBroker() {
	s.broker = itest.Start(s.t, itest.BuildService(s.t, "devbroker"), map[string]string{
		"CEM_DEVBROKER_ADDR": s.kafka, "CEM_DEVBROKER_DATA_DIR": s.dataDir, "CEM_DEVBROKER_PARTITIONS": "3", "CEM_LOG_FORMAT": "text",
	})
	itest.Eventually(s.t, time.Minute, func() bool {
		c, err := (&net.Dialer{Timeout: time.Second}).Dial("tcp", s.kafka)
		if err == nil {
			_ = c.Close()
		}
		return err == nil
	}, "dev broker listening")
}

// startCollector starts collector i (a new one when i == len(s.colls)).
func (s *stack) startCollector(i int, extra map[string]string) {
	if i == len(s.colls) {
		s.colls = append(s.colls, nil)
		s.collURLs = append(s.collURLs, "http://127.0.0.1:"+strconv.Itoa(itest.FreePort(s.t)))
	}
	env := map[string]string{"CEM_HTTP_ADDR": strings.TrimPrefix(s.collURLs[i], "http://"), "CEM_WRITE_KEYS": "web:" + writeKey}
	for k, v := range extra {
		env[k] = v
	}
	s.colls[i] = itest.Start(s.t, itest.BuildService(s.t, "collector"), s.env(env))
	itest.Eventually(s.t, time.Minute, func() bool { return itest.Ready(s.collURLs[i] + "/readyz") }, "collector ready")
}

// answer is the collector's JSON answer.
type answer struct {
	Accepted   int `json:"accepted"`
	Duplicates int `json:"duplicates"`
}

// post sends a batch to collector i; it returns the status code (0 on a
// transport error) and the answer.
func (s *stack) post(ctx context.Context, i int, batch []map[string]any, sentAt time.Time) (int, answer) {
	body, err := json.Marshal(map[string]any{"batch": batch, "sentAt": sentAt.UTC().Format(time.RFC3339Nano)})
	require.NoError(s.t, err)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.collURLs[i]+"/v1/batch", bytes.NewReader(body))
	require.NoError(s.t, err)
	req.SetBasicAuth(writeKey, "")
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, answer{}
	}
	defer func() { _ = resp.Body.Close() }()
	var a answer
	_ = json.NewDecoder(resp.Body).Decode(&a)
	return resp.StatusCode, a
}

// get returns the body of a query API GET (status 200 required).
func (s *stack) get(path string, q url.Values) []byte {
	s.t.Helper()
	if q != nil {
		path += "?" + q.Encode()
	}
	return s.call(http.MethodGet, path, "")
}

// postQuery POSTs body to the query API (status 200 required).
func (s *stack) postQuery(path, body string) []byte {
	s.t.Helper()
	return s.call(http.MethodPost, path, body)
}

func (s *stack) call(method, path, body string) []byte {
	s.t.Helper()
	req, err := http.NewRequest(method, s.query+"/api/v1"+path, strings.NewReader(body))
	require.NoError(s.t, err)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(s.t, err)
	defer func() { _ = resp.Body.Close() }()
	b, err := io.ReadAll(resp.Body)
	require.NoError(s.t, err)
	require.Equal(s.t, http.StatusOK, resp.StatusCode, "%s %s: %s", method, path, b)
	return b
}

// count runs a count query with the database as %[1]s.
func (s *stack) count(q string, args ...any) uint64 {
	s.t.Helper()
	var n uint64
	require.NoError(s.t, s.conn.QueryRow(context.Background(), fmt.Sprintf(q, s.ch.Database), args...).Scan(&n), q)
	return n
}

// rescored waits for two more scorer runs: the second started after the
// call, so it read everything stored before it.
func (s *stack) rescored() {
	s.t.Helper()
	last := metric(s.admin+"/metrics", "cem_processor_scores_last_success_timestamp_seconds")
	for range 2 {
		prev := last
		itest.Eventually(s.t, 2*time.Minute, func() bool {
			last = metric(s.admin+"/metrics", "cem_processor_scores_last_success_timestamp_seconds")
			return last > prev
		}, "a scorer run")
	}
}

// metric returns the value of an unlabelled sample of a /metrics page, -1
// when it is missing.
func metric(u, name string) float64 {
	resp, err := http.Get(u)
	if err != nil {
		return -1
	}
	defer func() { _ = resp.Body.Close() }()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), name+" "); ok {
			f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if err == nil {
				return f
			}
		}
	}
	return -1
}

// rowJSON returns the rows of q (database as %[1]s) as a JSON array of
// arrays.
func (s *stack) rowJSON(q string, args ...any) string {
	s.t.Helper()
	rows, err := s.conn.Query(context.Background(), fmt.Sprintf(q, s.ch.Database), args...)
	require.NoError(s.t, err, q)
	defer rows.Close()
	var out [][]any
	for rows.Next() {
		types := rows.ColumnTypes()
		ptrs := make([]any, len(types))
		for i, ct := range types {
			ptrs[i] = reflect.New(ct.ScanType()).Interface()
		}
		require.NoError(s.t, rows.Scan(ptrs...))
		row := make([]any, len(ptrs))
		for i, p := range ptrs {
			row[i] = reflect.ValueOf(p).Elem().Interface()
		}
		out = append(out, row)
	}
	require.NoError(s.t, rows.Err())
	return jsonOf(s.t, out)
}

func jsonOf(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return string(b)
}
