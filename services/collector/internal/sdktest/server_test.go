package sdktest

import (
	"context"
	"os/exec"
	"sync"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	analytics "github.com/segmentio/analytics-go/v3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cemhq/cem/pkg/itest"
)

// TestServerSidePostsAreNotBotsIntegration posts a survey answer and a
// ticket for one customer each with Segment's analytics-go, curl and
// python's urllib, none with context.userAgent: they are stored as
// is_bot=0 without a device and count in the customer's scores. An event
// whose context.userAgent is a crawler's is still tagged.
func TestServerSidePostsAreNotBotsIntegration(t *testing.T) {
	e := loadEnv(t)
	ch := clickhouse(t, e)
	token := runToken("srv")
	users := map[string]string{"analytics-go": "go-" + token, "curl": "curl-" + token, "python": "py-" + token}
	crawler := "crawler-" + token

	sendAnalyticsGo(t, e, users["analytics-go"])
	for _, u := range []string{users["curl"], users["python"]} {
		body := `{"batch":[` +
			`{"type":"track","userId":"` + u + `","event":"NPS Submitted","properties":{"score":9}},` +
			`{"type":"track","userId":"` + u + `","event":"Ticket Opened","properties":{"ticket_id":"t-` + u + `","channel":"phone"},"context":{"channel":"phone"}}]}`
		if u == users["curl"] {
			run(t, "curl", "-sS", "-f", "-u", e.serverKey+":", "-H", "Content-Type: application/json", "-d", body, e.collector+"/v1/batch")
		} else {
			run(t, "python3", "-c", `
import base64, sys, urllib.request
url, key, body = sys.argv[1:4]
req = urllib.request.Request(url, data=body.encode(), method="POST", headers={
    "Content-Type": "application/json",
    "Authorization": "Basic " + base64.b64encode((key + ":").encode()).decode()})
with urllib.request.urlopen(req, timeout=10) as r:
    assert r.status == 200, r.status
`, e.collector+"/v1/batch", e.serverKey, body)
		}
	}
	run(t, "curl", "-sS", "-f", "-u", e.serverKey+":", "-d",
		`{"userId":"`+crawler+`","event":"Page Crawled","context":{"userAgent":"Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"}}`,
		e.collector+"/v1/track")

	for client, u := range users {
		var n, bots, devices uint64
		itest.Eventually(t, 60*time.Second, func() bool { n, bots, devices = botCounts(t, ch, u); return n >= 2 }, client+"'s events stored")
		assert.Equal(t, uint64(2), n, client)
		assert.Zero(t, bots, "%s: a server-side post without context.userAgent is not a bot", client)
		assert.Zero(t, devices, "%s: and has no device", client)
	}
	var n, bots, devices uint64
	itest.Eventually(t, 60*time.Second, func() bool { n, bots, devices = botCounts(t, ch, crawler); return n >= 1 }, "the crawler's event stored")
	assert.Equal(t, uint64(1), bots, "a crawler in context.userAgent is tagged")
	assert.Equal(t, uint64(1), devices)

	if !e.scores {
		t.Log("CEM_BROWSER_EXPECT_SCORES is not 1: scores not checked")
		return
	}
	for client, u := range users {
		itest.Eventually(t, 90*time.Second, func() bool {
			nps, tickets, ok := profile(t, ch, u)
			return ok && nps == 9 && tickets == 1
		}, client+"'s NPS and open ticket in the customer's profile")
	}
	_, _, ok := profile(t, ch, crawler)
	assert.False(t, ok, "bot traffic is left out of the scores")
}

func run(t *testing.T, name string, args ...string) {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	require.NoError(t, err, "%s: %s", name, out)
}

// sendAnalyticsGo sends with Segment's Go SDK, as a Go backend would.
func sendAnalyticsGo(t *testing.T, e stackEnv, user string) {
	t.Helper()
	cb := &callback{}
	client, err := analytics.NewWithConfig(e.serverKey, analytics.Config{
		Endpoint: e.collector, Interval: 100 * time.Millisecond, BatchSize: 2, Callback: cb,
	})
	require.NoError(t, err)
	require.NoError(t, client.Enqueue(analytics.Track{UserId: user, Event: "NPS Submitted", Properties: analytics.NewProperties().Set("score", 9)}))
	require.NoError(t, client.Enqueue(analytics.Track{UserId: user, Event: "Ticket Opened",
		Properties: analytics.NewProperties().Set("ticket_id", "t-"+user).Set("channel", "phone"),
		Context:    &analytics.Context{Extra: map[string]any{"channel": "phone"}}}))
	require.NoError(t, client.Close())
	cb.mu.Lock()
	defer cb.mu.Unlock()
	require.Empty(t, cb.failed, "analytics-go delivery")
	require.Equal(t, 2, cb.ok)
}

type callback struct {
	mu     sync.Mutex
	ok     int
	failed []error
}

func (c *callback) Success(analytics.Message) { c.mu.Lock(); c.ok++; c.mu.Unlock() }
func (c *callback) Failure(_ analytics.Message, err error) {
	c.mu.Lock()
	c.failed = append(c.failed, err)
	c.mu.Unlock()
}

func botCounts(t *testing.T, ch driver.Conn, user string) (n, bots, devices uint64) {
	t.Helper()
	require.NoError(t, ch.QueryRow(context.Background(),
		`SELECT count(), countIf(is_bot = 1), countIf(device_type != '') FROM events FINAL WHERE user_id = ?`, user).Scan(&n, &bots, &devices))
	return n, bots, devices
}

// profile is the customer's latest NPS and open tickets in the scorer's
// customer_profiles; ok is false when the customer has no profile.
func profile(t *testing.T, ch driver.Conn, user string) (nps float64, openTickets uint32, ok bool) {
	t.Helper()
	rows, err := ch.Query(context.Background(),
		`SELECT ifNull(nps_latest, -1), open_tickets FROM customer_profiles FINAL WHERE customer_id = ?`, user)
	require.NoError(t, err)
	defer rows.Close()
	for rows.Next() {
		require.NoError(t, rows.Scan(&nps, &openTickets))
		ok = true
	}
	require.NoError(t, rows.Err())
	return nps, openTickets, ok
}
