package e2e

import (
	"bufio"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cemhq/cem/pkg/itest"
)

// trustStack is the collector, processor and query binaries against the
// dev broker and the test ClickHouse (no Docker needed).
type trustStack struct {
	t                          *testing.T
	collector, admin, queryURL string
	token                      string
}

// startTrustStack starts the stack; procEnv adds variables of the processor.
func startTrustStack(t *testing.T, procEnv ...map[string]string) *trustStack {
	broker := itest.Kafka(t)
	_, chAddr, db := itest.ClickHouse(t)
	bins := map[string]string{}
	for _, name := range []string{"collector", "processor", "query"} {
		bins[name] = itest.BuildService(t, name)
	}
	ports := make([]string, 3)
	for i := range ports {
		p, err := freePort()
		require.NoError(t, err)
		ports[i] = "127.0.0.1:" + strconv.Itoa(p)
	}
	s := &trustStack{t: t, collector: "http://" + ports[0], admin: "http://" + ports[1], queryURL: "http://" + ports[2], token: "trust-test-token-0123456789"}
	common := map[string]string{"CEM_KAFKA_BROKERS": broker.Addr(), "CEM_CLICKHOUSE_ADDR": chAddr, "CEM_CLICKHOUSE_DATABASE": db, "CEM_LOG_LEVEL": "warn"}
	env := func(extra map[string]string) map[string]string {
		for k, v := range common {
			extra[k] = v
		}
		return extra
	}
	proc := map[string]string{"CEM_PROCESSOR_ADMIN_ADDR": ports[1], "CEM_PROCESSOR_FLUSH_INTERVAL": "100ms", "CEM_SCORES_ENABLED": "false",
		"CEM_WEBHOOK_UI_URL": s.queryURL}
	for _, m := range procEnv {
		for k, v := range m {
			proc[k] = v
		}
	}
	itest.Start(t, bins["processor"], env(proc))
	itest.Eventually(t, 2*time.Minute, func() bool { return itest.Ready(s.admin + "/readyz") }, "processor ready (ClickHouse migrated)")
	itest.Start(t, bins["query"], env(map[string]string{"CEM_HTTP_ADDR": ports[2], "CEM_QUERY_TOKENS": s.token}))
	itest.Start(t, bins["collector"], env(map[string]string{"CEM_HTTP_ADDR": ports[0],
		"CEM_WRITE_KEYS": "web:public-web-key,crm:secret-crm-key", "CEM_SERVER_SOURCES": "crm"}))
	itest.Eventually(t, time.Minute, func() bool { return itest.Ready(s.queryURL+"/readyz") && itest.Ready(s.collector+"/readyz") }, "query and collector ready")
	return s
}

// post sends body to the collector with key and returns the status.
func (s *trustStack) post(path, key, body string) int {
	s.t.Helper()
	req, err := http.NewRequest(http.MethodPost, s.collector+path, strings.NewReader(body))
	require.NoError(s.t, err)
	req.SetBasicAuth(key, "")
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(s.t, err)
	defer func() { _ = resp.Body.Close() }()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode
}

// get calls the query API and decodes the JSON answer into out; it returns
// the status.
func (s *trustStack) get(path string, out any) int {
	s.t.Helper()
	req, err := http.NewRequest(http.MethodGet, s.queryURL+"/api/v1"+path, nil)
	require.NoError(s.t, err)
	req.Header.Set("Authorization", "Bearer "+s.token)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(s.t, err)
	defer func() { _ = resp.Body.Close() }()
	b, err := io.ReadAll(resp.Body)
	require.NoError(s.t, err)
	if resp.StatusCode == http.StatusOK && out != nil {
		require.NoError(s.t, json.Unmarshal(b, out), string(b))
	}
	return resp.StatusCode
}

// metric returns a sample of the processor's /metrics ("name{labels}"), 0
// when absent.
func (s *trustStack) metric(sample string) float64 {
	resp, err := http.Get(s.admin + "/metrics")
	if err != nil {
		return 0
	}
	defer func() { _ = resp.Body.Close() }()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), sample+" "); ok {
			f, _ := strconv.ParseFloat(strings.TrimSpace(v), 64)
			return f
		}
	}
	return 0
}

type profile struct {
	CustomerID string         `json:"customer_id"`
	IDs        []string       `json:"ids"`
	Traits     map[string]any `json:"traits"`
	Orders     uint64         `json:"orders"`
	Revenue    float64        `json:"revenue"`
	Events     uint64         `json:"events"`
}

// export is a customer's GDPR export.
type export struct {
	CustomerID string                      `json:"customer_id"`
	IDs        []string                    `json:"ids"`
	Tables     map[string][]map[string]any `json:"tables"`
}

func (s *trustStack) exportOf(id string) export {
	s.t.Helper()
	var x export
	require.Equal(s.t, http.StatusOK, s.get("/customers/"+id+"/export", &x))
	return x
}

// text is v as JSON.
func text(t *testing.T, v any) string {
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return string(b)
}

// The identity hijack, against the real services: an alias with the
// public web key whose previousId is the victim's userId leaves the victim's
// cluster, 360 profile and GDPR export unchanged and is counted; the
// attacker's profile and export hold nothing of the victim; /v1/import with
// the web key is refused; the same alias from the CRM (a server source)
// still moves the victim's ids.
func TestIdentityHijackIntegration(t *testing.T) {
	s := startTrustStack(t)
	victim := []string{
		`{"type":"identify","anonymousId":"victim-device","userId":"victim","traits":{"email":"victim@example.com","name":"Vera Victim","phone":"+49 30 1234567"}}`,
		`{"type":"track","userId":"victim","event":"Order Completed","properties":{"order_id":"o-1","revenue":120,"currency":"EUR"}}`,
		`{"type":"identify","anonymousId":"attacker-device","userId":"attacker","traits":{"email":"attacker@example.com"}}`,
	}
	require.Equal(t, http.StatusOK, s.post("/v1/batch", "public-web-key", `{"batch":[`+strings.Join(victim, ",")+`]}`))
	require.Equal(t, http.StatusOK, s.post("/v1/track", "secret-crm-key", `{"userId":"victim","event":"Ticket Opened","properties":{"ticket_id":"t-1","channel":"phone"}}`))
	var before profile
	itest.Eventually(t, time.Minute, func() bool {
		return s.get("/customers/victim", &before) == http.StatusOK && before.Orders == 1 && before.Events == 3
	}, "the victim's events processed")
	require.Equal(t, "victim@example.com", before.Traits["email"])
	exportBefore := s.exportOf("victim")
	require.Contains(t, exportBefore.IDs, "victim-device")

	// The attack, with the key any page's JavaScript reveals.
	require.Equal(t, http.StatusOK, s.post("/v1/alias", "public-web-key", `{"userId":"attacker","previousId":"victim"}`))
	require.Equal(t, http.StatusForbidden, s.post("/v1/import", "public-web-key",
		`{"type":"alias","userId":"attacker","previousId":"victim","timestamp":"2024-01-01T00:00:00Z"}`), "import is for server sources")
	var attacker profile
	itest.Eventually(t, time.Minute, func() bool {
		return s.metric(`cem_processor_identity_links_refused_total{cause="alias"}`) == 1 &&
			s.get("/customers/attacker", &attacker) == http.StatusOK && attacker.Events == 2
	}, "the attempt refused, counted and stored (as the attacker's event)")

	var after profile
	require.Equal(t, http.StatusOK, s.get("/customers/victim", &after))
	assert.Equal(t, before, after, "the victim's profile is unchanged")
	exportAfter := s.exportOf("victim")
	assert.Equal(t, exportBefore.CustomerID, exportAfter.CustomerID)
	assert.Equal(t, exportBefore.IDs, exportAfter.IDs, "the victim's GDPR export holds the same ids")
	for _, table := range []string{"identities", "customer_ids", "identity_merges", "sessions"} {
		assert.Equal(t, exportBefore.Tables[table], exportAfter.Tables[table], "the victim's GDPR export: %s unchanged", table)
	}
	// Its events are the victim's, plus the attempt (an event naming the
	// victim's id as previousId is about the victim, so the export shows it).
	for _, ev := range exportBefore.Tables["events"] {
		assert.Contains(t, exportAfter.Tables["events"], ev)
	}
	assert.Len(t, exportAfter.Tables["events"], len(exportBefore.Tables["events"])+1)
	assert.Equal(t, "attacker", attacker.CustomerID)
	assert.ElementsMatch(t, []string{"attacker", "attacker-device"}, attacker.IDs)
	assert.Zero(t, attacker.Orders)
	assert.Equal(t, "attacker@example.com", attacker.Traits["email"])
	attackerExport := text(t, s.exportOf("attacker"))
	for _, secret := range []string{"victim@example.com", "Vera Victim", "1234567", "o-1", "victim-device", "t-1"} {
		assert.NotContains(t, attackerExport, secret, "the attacker's GDPR export holds nothing of the victim")
	}

	// The CRM may move the victim (a real change of id).
	require.Equal(t, http.StatusOK, s.post("/v1/alias", "secret-crm-key", `{"userId":"victim-2026","previousId":"victim"}`))
	var moved profile
	itest.Eventually(t, time.Minute, func() bool {
		return s.get("/customers/victim-device", &moved) == http.StatusOK && moved.CustomerID == "victim-2026"
	}, "the server source's alias applied")
	assert.Equal(t, uint64(1), moved.Orders)
	assert.Equal(t, "victim@example.com", moved.Traits["email"])
	assert.Equal(t, 1.0, s.metric(`cem_processor_identity_links_refused_total{cause="alias"}`), "nothing more refused")
}
