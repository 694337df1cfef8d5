package app_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cemhq/cem/pkg/alerting"
	"github.com/cemhq/cem/pkg/events"
	"github.com/cemhq/cem/pkg/itest"
	"github.com/cemhq/cem/services/processor/internal/webhook"
)

const hookSecret = "it-secret-0123456789"

// hookReceiver is a real HTTP receiver: it verifies each delivery's
// signature, records it and answers with the next of codes (then 200).
type hookReceiver struct {
	t     *testing.T
	mu    sync.Mutex
	codes []int
	keys  []string
	bodys [][]byte
	bad   int
}

func (h *hookReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	h.mu.Lock()
	defer h.mu.Unlock()
	if alerting.Verify([]byte(hookSecret), r.Header.Get(alerting.SignatureHeader), b, time.Now(), alerting.DefaultReplayWindow) != nil {
		h.bad++
	}
	h.keys, h.bodys = append(h.keys, r.Header.Get(alerting.IdempotencyHeader)), append(h.bodys, b)
	code := http.StatusOK
	if len(h.codes) > 0 {
		code, h.codes = h.codes[0], h.codes[1:]
	}
	w.WriteHeader(code)
}

func (h *hookReceiver) snapshot() ([]string, [][]byte, int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.keys...), append([][]byte(nil), h.bodys...), h.bad
}

// A detractor answer is delivered, signed, to a receiver that fails three
// times (once, same idempotency key on every attempt, retries counted); a
// receiver that never answers ends in the dead-letter (alert_deliveries,
// status dead, with the reason); a target filtered on another reason gets
// nothing.
func TestWebhookDeliveryIntegration(t *testing.T) {
	e := newEnv(t)
	crm := &hookReceiver{t: t, codes: []int{500, 500, 500}}
	crmSrv := httptest.NewServer(crm)
	defer crmSrv.Close()
	release := make(chan struct{})
	slowSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer slowSrv.Close()
	defer close(release)
	slack := &hookReceiver{t: t}
	slackSrv := httptest.NewServer(slack)
	defer slackSrv.Close()

	cfg := e.config("cem-processor")
	cfg.Webhook = webhook.Config{Group: "cem-webhooks", MaxAttempts: 4, Timeout: 200 * time.Millisecond,
		RetryInitial: 20 * time.Millisecond, RetryMax: 100 * time.Millisecond, UIURL: "http://ui.test",
		Targets: webhook.Targets{
			{Name: "crm", URL: crmSrv.URL, Secret: hookSecret, Reasons: []string{alerting.Detractor}},
			{Name: "slow", URL: slowSrv.URL, Secret: hookSecret},
			{Name: "slack", URL: slackSrv.URL, Format: "slack", Reasons: []string{alerting.Complaint}},
		}}
	require.NoError(t, cfg.Validate())
	p := e.start(cfg)
	b := newEvb("web")
	det := b.ev(events.TypeTrack, "", "hook-user", 0, named("NPS Submitted"), props(map[string]any{"score": 1}))
	e.produce(det)
	id := alerting.ID(alerting.Detractor, "hook-user", det.Source+":"+det.MessageID)

	itest.Eventually(t, 60*time.Second, func() bool {
		return e.countOr0("SELECT count() FROM {db}.alert_deliveries FINAL") >= 2
	}, "both deliveries recorded")
	keys, bodies, bad := crm.snapshot()
	require.Len(t, keys, 4, "three 500s, then the 200")
	for _, k := range keys {
		assert.Equal(t, id, k)
	}
	assert.Zero(t, bad, "every delivery verifies")
	var pl webhook.Payload
	require.NoError(t, json.Unmarshal(bodies[3], &pl))
	assert.Equal(t, id, pl.Alert.ID)
	assert.Equal(t, "http://ui.test/#/customer/hook-user", pl.Customer.URL)
	assert.Equal(t, alerting.Detractor, pl.Alert.Reason)

	type delivery struct {
		status, err string
		attempts    uint32
		code        uint16
	}
	got := map[string]delivery{}
	rows, err := e.conn.Query(context.Background(), e.sql("SELECT target, status, error, attempts, http_status FROM {db}.alert_deliveries FINAL WHERE alert_id = ?"), id)
	require.NoError(t, err)
	for rows.Next() {
		var target string
		var d delivery
		require.NoError(t, rows.Scan(&target, &d.status, &d.err, &d.attempts, &d.code))
		got[target] = d
	}
	require.NoError(t, rows.Err())
	assert.Equal(t, map[string]delivery{
		"crm":  {status: "delivered", attempts: 4, code: 200},
		"slow": {status: "dead", err: "4 attempts, last: no answer within 200ms", attempts: 4},
	}, got)
	assert.Equal(t, float64(1), metric(t, p.reg, "cem_processor_webhook_delivered_total", "crm"))
	assert.Equal(t, float64(3), metric(t, p.reg, "cem_processor_webhook_retries_total", "crm"))
	assert.Equal(t, float64(1), metric(t, p.reg, "cem_processor_webhook_failed_total", "slow"))
	assert.Equal(t, float64(1), metric(t, p.reg, "cem_processor_webhook_skipped_total", "filtered"), "the slack target (cause is the first label)")
	k, _, _ := slack.snapshot()
	assert.Empty(t, k, "filtered on another reason")
}
