// Package freshness measures how long an event takes from the collector's
// 2xx to being visible in ClickHouse: it posts probe events of their own
// customer keys at a steady pace and polls the events table (a primary-key
// read by customer_key, like a timeline query) for them.
package freshness

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/cemhq/cem/services/loadgen/internal/httpload"
)

// Options configure Probe.
type Options struct {
	URL, WriteKey, Database string
	// Every is the probe interval. Default 100ms.
	Every time.Duration
	// Poll is the ClickHouse polling interval. Default 20ms.
	Poll time.Duration
	// Run makes probe keys unique across runs.
	Run string
	// Timeout gives up on a probe not visible after this long. Default 60s.
	Timeout time.Duration
}

// Result summarizes the probes.
type Result struct {
	Probes  int              `json:"probes"`
	Seen    int              `json:"seen"`
	Lost    int              `json:"not_seen"`
	Latency httpload.Latency `json:"latency"`
}

// Probe posts probes until ctx ends, then waits up to Timeout for the
// pending ones and returns the latencies.
func Probe(ctx context.Context, conn driver.Conn, o Options) (*Result, error) {
	if o.Every <= 0 {
		o.Every = 100 * time.Millisecond
	}
	if o.Poll <= 0 {
		o.Poll = 20 * time.Millisecond
	}
	if o.Timeout <= 0 {
		o.Timeout = 60 * time.Second
	}
	var mu sync.Mutex
	pending := map[string]time.Time{}
	var lat []time.Duration
	probes := 0
	sending := make(chan struct{})
	client := &http.Client{Timeout: 30 * time.Second}
	go func() {
		defer close(sending)
		t := time.NewTicker(o.Every)
		defer t.Stop()
		for n := 0; ; n++ {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			key := fmt.Sprintf("probe-%s-%06d", o.Run, n)
			now := time.Now().UTC()
			body := fmt.Sprintf(`{"batch":[{"type":"track","event":"Freshness Probe","messageId":%q,"anonymousId":%q,"properties":{"n":%d},"context":{"channel":"web"},"timestamp":%q}],"sentAt":%q}`,
				key, key, n, now.Format(time.RFC3339Nano), now.Format(time.RFC3339Nano))
			req, err := http.NewRequestWithContext(ctx, http.MethodPost, o.URL, bytes.NewReader([]byte(body)))
			if err != nil {
				continue
			}
			req.Header.Set("Content-Type", "application/json")
			req.SetBasicAuth(o.WriteKey, "")
			resp, err := client.Do(req)
			if err != nil {
				continue
			}
			resp.Body.Close()
			if resp.StatusCode/100 == 2 {
				mu.Lock()
				pending[key] = time.Now()
				probes++
				mu.Unlock()
			}
		}
	}()
	poll := func() error {
		mu.Lock()
		keys := make([]string, 0, len(pending))
		for k := range pending {
			keys = append(keys, "'"+k+"'")
		}
		mu.Unlock()
		if len(keys) == 0 {
			return nil
		}
		rows, err := conn.Query(context.Background(), fmt.Sprintf("SELECT DISTINCT customer_key FROM %s.events WHERE customer_key IN (%s)", o.Database, strings.Join(keys, ",")))
		if err != nil {
			return err
		}
		defer rows.Close()
		now := time.Now()
		for rows.Next() {
			var k string
			if err := rows.Scan(&k); err != nil {
				return err
			}
			mu.Lock()
			if at, ok := pending[k]; ok {
				lat = append(lat, now.Sub(at))
				delete(pending, k)
			}
			mu.Unlock()
		}
		return rows.Err()
	}
	t := time.NewTicker(o.Poll)
	defer t.Stop()
	var deadline time.Time
	for {
		<-t.C
		if err := poll(); err != nil {
			return nil, fmt.Errorf("poll: %w", err)
		}
		select {
		case <-sending:
			if deadline.IsZero() {
				deadline = time.Now().Add(o.Timeout)
			}
			mu.Lock()
			left := len(pending)
			mu.Unlock()
			if left == 0 || time.Now().After(deadline) {
				res := &Result{Probes: probes, Seen: len(lat), Lost: left, Latency: httpload.Summarize(lat)}
				return res, nil
			}
		default:
		}
	}
}
