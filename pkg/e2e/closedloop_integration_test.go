package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cemhq/cem/pkg/alerting"
	"github.com/cemhq/cem/pkg/itest"
)

const loopSecret = "closed-loop-secret-0123456789"

// delivery is one request the test receiver got.
type delivery struct {
	key, sig string
	body     []byte
	verified error
}

// TestClosedLoopIntegration: a detractor answer posted to the collector
// produces an alert (raised by the processor as it processes the answer), a
// signed webhook delivery to a real HTTP receiver with the alert id as
// idempotency key and a link to the customer's page, and an open case in
// the query API; a second detractor answer within the cool-down produces
// neither a second alert nor a second delivery.
func TestClosedLoopIntegration(t *testing.T) {
	var mu sync.Mutex
	var got []delivery
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		sig := r.Header.Get(alerting.SignatureHeader)
		mu.Lock()
		got = append(got, delivery{r.Header.Get(alerting.IdempotencyHeader), sig, b,
			alerting.Verify([]byte(loopSecret), sig, b, time.Now(), alerting.DefaultReplayWindow)})
		mu.Unlock()
	}))
	defer rcv.Close()
	targets, err := json.Marshal([]map[string]any{{"name": "cx-tool", "url": rcv.URL, "secret": loopSecret}})
	require.NoError(t, err)
	s := startTrustStack(t, map[string]string{"CEM_WEBHOOK_TARGETS": string(targets)})
	deliveries := func() []delivery {
		mu.Lock()
		defer mu.Unlock()
		return append([]delivery(nil), got...)
	}

	user := fmt.Sprintf("loop-user-%d", time.Now().UnixNano())
	nps := func(id string, score int) string {
		return fmt.Sprintf(`{"userId":%q,"messageId":%q,"event":"NPS Submitted","properties":{"score":%d,"comment":"slow delivery"},"context":{"channel":"email"}}`, user, id, score)
	}
	require.Equal(t, http.StatusOK, s.post("/v1/track", "public-web-key", nps("m-1", 2)))
	itest.Eventually(t, 30*time.Second, func() bool { return len(deliveries()) > 0 }, "the webhook delivery")
	d := deliveries()[0]
	require.NoError(t, d.verified, "the delivery's signature verifies")
	id := alerting.ID(alerting.Detractor, user, "web:m-1")
	assert.Equal(t, id, d.key)
	var p struct {
		Alert    alerting.Alert `json:"alert"`
		Customer struct {
			ID  string `json:"id"`
			URL string `json:"url"`
		} `json:"customer"`
	}
	require.NoError(t, json.Unmarshal(d.body, &p))
	assert.Equal(t, id, p.Alert.ID)
	assert.Equal(t, "email", p.Alert.Channel)
	assert.Equal(t, s.queryURL+"/#/customer/"+user, p.Customer.URL)

	type alertList struct {
		Alerts []struct {
			ID    string `json:"alert_id"`
			State string `json:"state"`
		} `json:"alerts"`
	}
	var open alertList
	require.Equal(t, http.StatusOK, s.get("/alerts?state=open&customer="+user, &open))
	require.Len(t, open.Alerts, 1)
	assert.Equal(t, id, open.Alerts[0].ID)

	// A second detractor answer within the cool-down: processed (on the
	// timeline), suppressed (counted), no alert, no delivery.
	require.Equal(t, http.StatusOK, s.post("/v1/track", "public-web-key", nps("m-2", 1)))
	itest.Eventually(t, 30*time.Second, func() bool {
		return s.metric(`cem_processor_alerts_cooldown_suppressed_total{reason="detractor"}`) == 1
	}, "the second answer suppressed by the cool-down")
	var all alertList
	require.Equal(t, http.StatusOK, s.get("/alerts?customer="+user, &all))
	assert.Len(t, all.Alerts, 1)
	assert.Len(t, deliveries(), 1)
	assert.Equal(t, float64(1), s.metric(`cem_processor_webhook_delivered_total{target="cx-tool"}`))
}
