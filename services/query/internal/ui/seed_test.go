package ui_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// journeySet is the generated data of one browser-test run: a few
// customers with web visits, a login, orders, tickets and survey answers,
// each id unique to the run.
type journeySet struct {
	run string
	// ada browses anonymously, logs in, orders, calls the hotline, answers
	// NPS 3 and sees an app error.
	adaAnon, adaUser, adaEmail string
	// bo views and checks out in the app, payment fails, answers NPS 10.
	boUser string
	// cy only views a product on the web (drops after step 1).
	cyAnon string
	// dee orders in the app and answers CSAT 5.
	deeUser string
	// eve files a complaint with the call centre (a complaint alert; ada's
	// NPS 3 raises a detractor alert).
	eveUser string
	// batches are the collector posts: write key and events.
	batches []batch
	// counts are the events each customer id must show in its timeline.
	counts map[string]int
}

const browserUA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"

type batch struct {
	key    string
	events []map[string]any
}

func newJourneySet(now time.Time) *journeySet {
	run := fmt.Sprintf("%x", now.UnixNano())
	j := &journeySet{
		run:     run,
		adaAnon: "bt-anon-ada-" + run, adaUser: "bt-user-ada-" + run, adaEmail: "ada-" + run + "@example.com",
		boUser: "bt-user-bo-" + run, cyAnon: "bt-anon-cy-" + run, deeUser: "bt-user-dee-" + run, eveUser: "bt-user-eve-" + run,
		counts: map[string]int{},
	}
	start := now.Add(-90 * time.Minute)
	at := func(min int) string {
		return start.Add(time.Duration(min) * time.Minute).UTC().Format(time.RFC3339Nano)
	}
	n := 0
	ev := func(typ, id string, anon bool, min int, fields map[string]any) map[string]any {
		n++
		e := map[string]any{"type": typ, "messageId": fmt.Sprintf("bt-%s-%d", run, n), "timestamp": at(min)}
		if anon {
			e["anonymousId"] = id
		} else {
			e["userId"] = id
		}
		for k, v := range fields {
			e[k] = v
		}
		return e
	}
	track := func(id string, anon bool, min int, name string, props map[string]any, channel string) map[string]any {
		f := map[string]any{"event": name, "properties": props}
		if channel != "" {
			f["context"] = map[string]any{"channel": channel}
		}
		return ev("track", id, anon, min, f)
	}
	ticket := "t-" + run
	j.batches = []batch{
		{"dev-web-key", []map[string]any{
			ev("page", j.adaAnon, true, 0, map[string]any{"name": "Home", "context": map[string]any{"page": map[string]any{"path": "/"}}}),
			track(j.adaAnon, true, 2, "Product Viewed", map[string]any{"product_id": "p-1", "price": 120}, ""),
			ev("identify", j.adaUser, false, 4, map[string]any{"anonymousId": j.adaAnon, "traits": map[string]any{"email": j.adaEmail, "name": "Ada Browser " + run}}),
			track(j.adaUser, false, 6, "Checkout Started", map[string]any{"cart_id": "c-1"}, ""),
			track(j.adaUser, false, 8, "Order Completed", map[string]any{"order_id": "o-ada-" + run, "revenue": 120, "currency": "EUR"}, ""),
			track(j.cyAnon, true, 10, "Product Viewed", map[string]any{"product_id": "p-2"}, ""),
		}},
		{"dev-app-key", []map[string]any{
			track(j.adaUser, false, 30, "Error Shown", map[string]any{"message": "tracking page failed"}, ""),
			track(j.boUser, false, 5, "Product Viewed", map[string]any{"product_id": "p-3"}, ""),
			track(j.boUser, false, 7, "Checkout Started", map[string]any{"cart_id": "c-2"}, ""),
			track(j.boUser, false, 9, "Payment Failed", map[string]any{"reason": "card declined"}, ""),
			track(j.deeUser, false, 12, "Product Viewed", map[string]any{"product_id": "p-1"}, ""),
			track(j.deeUser, false, 14, "Checkout Started", map[string]any{"cart_id": "c-3"}, ""),
			track(j.deeUser, false, 16, "Order Completed", map[string]any{"order_id": "o-dee-" + run, "revenue": 45.5, "currency": "EUR"}, ""),
		}},
		{"dev-callcenter-key", []map[string]any{
			track(j.adaUser, false, 40, "Ticket Opened", map[string]any{"ticket_id": ticket, "channel": "phone"}, "phone"),
			track(j.adaUser, false, 44, "Ticket Replied", map[string]any{"ticket_id": ticket, "channel": "phone"}, "phone"),
			track(j.adaUser, false, 50, "Ticket Resolved", map[string]any{"ticket_id": ticket, "channel": "phone"}, "phone"),
			track(j.eveUser, false, 52, "Complaint Filed", map[string]any{"topic": "late delivery"}, "phone"),
		}},
		{"dev-survey-key", []map[string]any{
			track(j.adaUser, false, 60, "NPS Submitted", map[string]any{"score": 3, "comment": "slow delivery"}, "email"),
			track(j.boUser, false, 62, "NPS Submitted", map[string]any{"score": 10}, "email"),
			track(j.deeUser, false, 64, "CSAT Submitted", map[string]any{"score": 5}, "email"),
		}},
	}
	j.counts = map[string]int{j.adaUser: 10, j.boUser: 4, j.cyAnon: 1, j.deeUser: 4, j.eveUser: 1}
	return j
}

// sent counts the events posted with write key for user id.
func (j *journeySet) sent(key, id string) int {
	n := 0
	for _, b := range j.batches {
		for _, e := range b.events {
			if b.key == key && e["userId"] == id {
				n++
			}
		}
	}
	return n
}

// post sends every batch to the collector and requires 200s.
func (j *journeySet) post(t *testing.T, collector string) {
	t.Helper()
	for _, b := range j.batches {
		body, err := json.Marshal(map[string]any{"batch": b.events})
		require.NoError(t, err)
		req, err := http.NewRequest(http.MethodPost, strings.TrimRight(collector, "/")+"/v1/batch", bytes.NewReader(body))
		require.NoError(t, err)
		req.SetBasicAuth(b.key, "")
		req.Header.Set("Content-Type", "application/json")
		// A browser's user agent; the collector uses it only for browser
		// requests (an Origin header): these are server-side posts, neither
		// bots nor devices.
		req.Header.Set("User-Agent", browserUA)
		res, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		var out bytes.Buffer
		_, _ = out.ReadFrom(res.Body)
		_ = res.Body.Close()
		require.Equal(t, http.StatusOK, res.StatusCode, "collector answer for %s: %s", b.key, out.String())
	}
}

// apiClient calls the query API with a bearer token.
type apiClient struct {
	base, token string
}

func (c apiClient) do(method, path string, body any, out any) (int, []byte, error) {
	var rd *bytes.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, nil, err
		}
		rd = bytes.NewReader(b)
	} else {
		rd = bytes.NewReader(nil)
	}
	req, err := http.NewRequest(method, strings.TrimRight(c.base, "/")+"/api/v1"+path, rd)
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer res.Body.Close()
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(res.Body); err != nil {
		return res.StatusCode, nil, err
	}
	if out != nil && res.StatusCode == http.StatusOK {
		if err := json.Unmarshal(buf.Bytes(), out); err != nil {
			return res.StatusCode, buf.Bytes(), err
		}
	}
	return res.StatusCode, buf.Bytes(), nil
}

type timelineResp struct {
	CustomerID string `json:"customer_id"`
	Count      int    `json:"count"`
	Sessions   []struct {
		Events []struct {
			Event   string   `json:"event"`
			Type    string   `json:"type"`
			Channel string   `json:"channel"`
			Score   *float64 `json:"score"`
		} `json:"events"`
	} `json:"sessions"`
}

// visible reports whether every customer shows all its events via the API.
func (j *journeySet) visible(c apiClient) (bool, string) {
	ids := make([]string, 0, len(j.counts))
	for id := range j.counts {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		want := j.counts[id]
		var tl timelineResp
		code, body, err := c.do(http.MethodGet, "/customers/"+url.PathEscape(id)+"/timeline?limit=100", nil, &tl)
		if err != nil || code != http.StatusOK {
			return false, fmt.Sprintf("timeline of %s: %d %v %s", id, code, err, body)
		}
		if tl.Count < want {
			return false, fmt.Sprintf("timeline of %s has %d of %d events", id, tl.Count, want)
		}
	}
	return true, ""
}

// funnelBody is the funnel the test builds in the UI.
func funnelBody(steps []string, window int64, dropoff int, where ...map[int][]map[string]any) map[string]any {
	s := make([]map[string]any, len(steps))
	for i, e := range steps {
		s[i] = map[string]any{"event": e}
		for _, w := range where {
			if f, ok := w[i]; ok {
				s[i]["where"] = f
			}
		}
	}
	b := map[string]any{"steps": s, "window_seconds": window, "strict": false, "breakdown": "channel"}
	if dropoff > 0 {
		b["dropoff"] = map[string]any{"step": dropoff, "limit": 100}
	}
	return b
}

type funnelResp struct {
	Steps []struct {
		Step                int     `json:"step"`
		Event               string  `json:"event"`
		Customers           uint64  `json:"customers"`
		ConversionFromFirst float64 `json:"conversion_from_first"`
	} `json:"steps"`
	Dropoff *struct {
		Customers []string `json:"customers"`
	} `json:"dropoff"`
}

func (f funnelResp) counts() []uint64 {
	out := make([]uint64, len(f.Steps))
	for i, s := range f.Steps {
		out[i] = s.Customers
	}
	return out
}

func containsAll(have []string, want ...string) bool {
	for _, w := range want {
		if !slices.Contains(have, w) {
			return false
		}
	}
	return true
}
