package webhook

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cemhq/cem/pkg/alerting"
)

const secret = "0123456789abcdef-secret"

func testConfig() Config {
	return Config{Group: "g", MaxAttempts: 5, Timeout: 300 * time.Millisecond, RetryInitial: 10 * time.Millisecond,
		RetryMax: 50 * time.Millisecond, UIURL: "http://ui.example"}
}

func testAlert() alerting.Alert {
	now := time.Now().UTC()
	a := alerting.New(alerting.Detractor, "cust-1", "web:m1", now, now)
	a.Message, a.Channel, a.ReceivedAt = "detractor: NPS 2", "web", now.Add(-time.Second)
	return a
}

// receiver is a real HTTP server that records every request and answers
// with the next status of codes (then 200).
type receiver struct {
	mu    sync.Mutex
	reqs  []*http.Request
	body  [][]byte
	codes []int
}

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	b, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	r.reqs, r.body = append(r.reqs, req), append(r.body, b)
	code := http.StatusOK
	if len(r.codes) > 0 {
		code, r.codes = r.codes[0], r.codes[1:]
	}
	r.mu.Unlock()
	w.WriteHeader(code)
}

// 500 three times then 200: delivered once (one outcome), four attempts with
// the same idempotency key and body, three retries counted, every attempt
// signed and verifiable.
func TestDeliverRetriesOn5xx(t *testing.T) {
	rcv := &receiver{codes: []int{500, 502, 503}}
	srv := httptest.NewServer(rcv)
	defer srv.Close()
	m := NewMetrics(prometheus.NewRegistry())
	d := NewDeliverer(testConfig(), nil, m)
	a := testAlert()
	target := Target{Name: "crm", URL: srv.URL, Secret: secret}
	out, err := d.Deliver(context.Background(), target, a, Customer{ID: a.CustomerID, URL: CustomerURL("http://ui.example", a.CustomerID)})
	require.NoError(t, err)
	assert.True(t, out.Delivered)
	assert.Equal(t, 4, out.Attempts)
	assert.Equal(t, 200, out.HTTPStatus)
	assert.Equal(t, float64(3), testutil.ToFloat64(m.Retries.WithLabelValues("crm")))
	require.Len(t, rcv.reqs, 4)
	for i, r := range rcv.reqs {
		assert.Equal(t, a.ID, r.Header.Get(alerting.IdempotencyHeader), "attempt %d", i+1)
		assert.Equal(t, string(rcv.body[0]), string(rcv.body[i]), "the same body on every attempt")
		assert.NoError(t, alerting.Verify([]byte(secret), r.Header.Get(alerting.SignatureHeader), rcv.body[i], time.Now(), alerting.DefaultReplayWindow))
		assert.Equal(t, []string{string(rune('1' + i))}, r.Header.Values(alerting.AttemptHeader))
	}
	var p Payload
	require.NoError(t, json.Unmarshal(rcv.body[3], &p))
	assert.Equal(t, a.ID, p.Alert.ID)
	assert.Equal(t, "http://ui.example/#/customer/cust-1", p.Customer.URL)
	assert.Equal(t, 1, p.Version)
	// A tampered body fails verification.
	assert.Error(t, alerting.Verify([]byte(secret), rcv.reqs[3].Header.Get(alerting.SignatureHeader), append(rcv.body[3], ' '), time.Now(), alerting.DefaultReplayWindow))
}

// A receiver that never answers: every attempt times out and the outcome
// is the dead-letter with the reason.
func TestDeliverNeverAnswersDeadLetters(t *testing.T) {
	var hits atomic.Int32
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	cfg := testConfig()
	cfg.MaxAttempts, cfg.Timeout = 3, 100*time.Millisecond
	m := NewMetrics(prometheus.NewRegistry())
	out, err := NewDeliverer(cfg, nil, m).Deliver(context.Background(), Target{Name: "slow", URL: srv.URL, Secret: secret}, testAlert(), Customer{})
	require.NoError(t, err)
	assert.False(t, out.Delivered)
	assert.Equal(t, 3, out.Attempts)
	assert.Equal(t, int32(3), hits.Load())
	assert.Equal(t, "3 attempts, last: no answer within 100ms", out.Err)
	assert.Equal(t, float64(2), testutil.ToFloat64(m.Retries.WithLabelValues("slow")))
}

// A 4xx other than 408/429 is the receiver refusing the request as such:
// no retry.
func TestDeliver4xxIsNotRetried(t *testing.T) {
	rcv := &receiver{codes: []int{401}}
	srv := httptest.NewServer(rcv)
	defer srv.Close()
	out, err := NewDeliverer(testConfig(), nil, NewMetrics(prometheus.NewRegistry())).Deliver(context.Background(),
		Target{Name: "x", URL: srv.URL, Secret: secret}, testAlert(), Customer{})
	require.NoError(t, err)
	assert.False(t, out.Delivered)
	assert.Equal(t, 1, out.Attempts)
	assert.Equal(t, 401, out.HTTPStatus)
	assert.Contains(t, out.Err, "receiver answered 401 Unauthorized")
}

// Slack-compatible targets get an incoming-webhook message with the link.
func TestSlackBody(t *testing.T) {
	a := testAlert()
	b, err := Body(Target{Name: "s", Format: "slack"}, a, Customer{ID: "cust-1", URL: "http://ui/#/customer/cust-1",
		Facts: Facts{Scored: true, Health: 40, ChurnRisk: "high", Segment: "at_risk"}}, time.Now())
	require.NoError(t, err)
	var msg struct {
		Text   string           `json:"text"`
		Blocks []map[string]any `json:"blocks"`
	}
	require.NoError(t, json.Unmarshal(b, &msg))
	assert.Contains(t, msg.Text, "*detractor* alert (high): detractor: NPS 2")
	assert.Contains(t, msg.Text, "<http://ui/#/customer/cust-1|Customer cust-1>: health 40, churn risk high")
	assert.Len(t, msg.Blocks, 2)
}

func TestTargetFilters(t *testing.T) {
	a := testAlert()
	assert.True(t, Target{}.Matches(a, nil))
	assert.True(t, Target{Reasons: []string{"detractor"}, Channels: []string{"web"}, Segments: []string{"champions"}}.Matches(a, []string{"champions", "", ""}))
	assert.False(t, Target{Reasons: []string{"complaint"}}.Matches(a, nil))
	assert.False(t, Target{Channels: []string{"phone"}}.Matches(a, nil))
	assert.False(t, Target{Segments: []string{"champions"}}.Matches(a, []string{"", "", ""}))
}

func TestConfigValidate(t *testing.T) {
	var ts Targets
	require.NoError(t, ts.Decode(`[{"name":"crm","url":"https://crm.example/hook","secret":"`+secret+`","reasons":["detractor"]}]`))
	cfg := testConfig()
	cfg.Targets = ts
	require.NoError(t, cfg.Validate())
	for _, bad := range []string{
		`[{"name":"","url":"https://x"}]`,
		`[{"name":"a","url":"ftp://x","secret":"` + secret + `"}]`,
		`[{"name":"a","url":"https://x"}]`,
		`[{"name":"a","url":"https://x","format":"xml","secret":"` + secret + `"}]`,
		`[{"name":"a","url":"https://x","secret":"` + secret + `","reasons":["nope"]}]`,
		`[{"name":"a","url":"https://x","format":"slack"},{"name":"a","url":"https://y","format":"slack"}]`,
	} {
		require.NoError(t, ts.Decode(bad))
		cfg.Targets = ts
		assert.Error(t, cfg.Validate(), bad)
	}
	assert.Error(t, ts.Decode(`{"name":"a"}`))
}
