package querybench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/cemhq/cem/pkg/events"
	"github.com/cemhq/cem/services/loadgen/internal/httpload"
)

// Options configure Run.
type Options struct {
	// Database holds the dataset; it is read only to sample customer ids.
	Database string
	// URL is the query service (http://host:port) serving Database, Token
	// one of its bearer tokens.
	URL, Token string
	// Timelines is the number of timeline lookups (random customers);
	// Repeat the runs of each analytic query. Defaults 200 and 5.
	Timelines, Repeat int
	// Seed picks the customers. Default 0.
	Seed uint64
}

// Result holds the latency of each query kind.
type Result struct {
	Rows      uint64           `json:"rows"`
	Timeline  httpload.Latency `json:"timeline"`
	Funnel    httpload.Latency `json:"funnel"`
	Retention httpload.Latency `json:"retention"`
	Segment   httpload.Latency `json:"segment"`
	// FunnelSteps is the funnel's customer counts (a sanity check).
	FunnelSteps []uint64 `json:"funnel_steps"`
	// Sleepers is the size of the first page of the sleepers segment.
	Sleepers int `json:"sleepers"`
}

// FunnelSteps is the benchmark funnel.
var FunnelSteps = []string{events.ProductViewed, events.CartViewed, events.CheckoutStarted, events.OrderCompleted}

// Run times the query service's answers to GET timeline (first page of a
// random customer), a 4-step funnel (POST /funnels, 7-day window), weekly
// retention of orders and the sleepers segment (first page of 100): the
// latency a CX user sees, measured end to end over HTTP.
func Run(ctx context.Context, conn driver.Conn, o Options) (*Result, error) {
	if o.Timelines <= 0 {
		o.Timelines = 200
	}
	if o.Repeat <= 0 {
		o.Repeat = 5
	}
	res := &Result{}
	if err := conn.QueryRow(ctx, fmt.Sprintf("SELECT count() FROM %s.events", o.Database)).Scan(&res.Rows); err != nil {
		return nil, fmt.Errorf("count: %w", err)
	}
	// Ids to look up: a random sample of keys (anonymous and user ids).
	var keys []string
	rows, err := conn.Query(ctx, fmt.Sprintf("SELECT DISTINCT customer_key FROM %s.events WHERE cityHash64(customer_key) %% 50 = 0 LIMIT 20000", o.Database))
	if err != nil {
		return nil, fmt.Errorf("sample keys: %w", err)
	}
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			return nil, err
		}
		keys = append(keys, k)
	}
	rows.Close()
	if len(keys) == 0 {
		return nil, fmt.Errorf("no events in %s.events", o.Database)
	}
	api := client{base: o.URL + "/api/v1", token: o.Token}
	r := rand.New(rand.NewPCG(o.Seed, 7))
	var tl []time.Duration
	for range o.Timelines {
		var page struct {
			Count int `json:"count"`
		}
		key := keys[r.IntN(len(keys))]
		d, err := api.call(ctx, http.MethodGet, "/customers/"+url.PathEscape(key)+"/timeline?limit=100", nil, &page)
		if err != nil {
			return nil, fmt.Errorf("timeline of %s: %w", key, err)
		}
		if page.Count == 0 {
			return nil, fmt.Errorf("timeline of %s is empty", key)
		}
		tl = append(tl, d)
	}
	res.Timeline = httpload.Summarize(tl)

	repeat := func(method, path string, body any, out any) (httpload.Latency, error) {
		var ds []time.Duration
		for range o.Repeat {
			d, err := api.call(ctx, method, path, body, out)
			if err != nil {
				return httpload.Latency{}, fmt.Errorf("%s %s: %w", method, path, err)
			}
			ds = append(ds, d)
		}
		return httpload.Summarize(ds), nil
	}
	type step struct {
		Event string `json:"event"`
	}
	funnel := struct {
		Steps         []step `json:"steps"`
		WindowSeconds int64  `json:"window_seconds"`
	}{WindowSeconds: 7 * 86400}
	for _, s := range FunnelSteps {
		funnel.Steps = append(funnel.Steps, step{s})
	}
	var fres struct {
		Steps []struct {
			Customers uint64 `json:"customers"`
		} `json:"steps"`
	}
	if res.Funnel, err = repeat(http.MethodPost, "/funnels", funnel, &fres); err != nil {
		return nil, err
	}
	for _, s := range fres.Steps {
		res.FunnelSteps = append(res.FunnelSteps, s.Customers)
	}
	if res.Retention, err = repeat(http.MethodGet, "/retention?cohort=first_seen&grain=week&periods=8&event="+url.QueryEscape(events.OrderCompleted), nil, nil); err != nil {
		return nil, err
	}
	var seg struct {
		Members []json.RawMessage `json:"members"`
	}
	if res.Segment, err = repeat(http.MethodGet, "/segments/sleepers?limit=100", nil, &seg); err != nil {
		return nil, err
	}
	res.Sleepers = len(seg.Members)
	return res, nil
}

// client calls the query API with a bearer token.
type client struct {
	base, token string
}

// call sends one request and decodes a 200 answer into out (when not nil);
// it returns the time until the whole answer was read.
func (c client) call(ctx context.Context, method, path string, body, out any) (time.Duration, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	start := time.Now()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	d := time.Since(start)
	if err != nil {
		return 0, err
	}
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("status %d: %.300s", resp.StatusCode, raw)
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			return 0, err
		}
	}
	return d, nil
}
