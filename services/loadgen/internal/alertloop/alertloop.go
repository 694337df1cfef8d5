// Package alertloop measures the closed loop from the collector's 2xx to
// the webhook delivery: it serves a webhook receiver (the processor's
// target), posts detractor NPS answers of fresh customers at a steady pace
// and times each from its 2xx to the signed delivery of its alert.
package alertloop

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/cemhq/cem/pkg/alerting"
	"github.com/cemhq/cem/services/loadgen/internal/httpload"
)

// Options configure Run.
type Options struct {
	// URL is the collector's batch endpoint; WriteKey a key of a server
	// source (the answers come from a survey tool).
	URL, WriteKey string
	// Listener serves the webhook receiver.
	Listener net.Listener
	// Secret verifies the deliveries' signatures.
	Secret string
	// Every is the probe interval. Default 200ms.
	Every time.Duration
	// Run makes probe customers unique across runs.
	Run string
	// Timeout gives up on a probe not delivered after this long. Default 60s.
	Timeout time.Duration
}

// Result summarizes the probes.
type Result struct {
	Probes    int `json:"probes"`
	Delivered int `json:"delivered"`
	Lost      int `json:"not_delivered"`
	// BadSignatures counts deliveries whose signature did not verify;
	// Redelivered probes delivered more than once; Other deliveries of
	// alerts that are not probes (the background load's).
	BadSignatures int              `json:"bad_signatures"`
	Redelivered   int              `json:"redelivered"`
	Other         int              `json:"other_deliveries"`
	Latency       httpload.Latency `json:"latency"`
}

type state struct {
	secret  []byte
	mu      sync.Mutex
	pending map[string]time.Time // customer -> 2xx
	done    map[string]bool
	lat     []time.Duration
	res     Result
}

func (s *state) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	now := time.Now()
	if err != nil {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	var p struct {
		Alert alerting.Alert `json:"alert"`
	}
	_ = json.Unmarshal(b, &p)
	s.mu.Lock()
	defer s.mu.Unlock()
	if alerting.Verify(s.secret, r.Header.Get(alerting.SignatureHeader), b, now, alerting.DefaultReplayWindow) != nil {
		s.res.BadSignatures++
	}
	c := p.Alert.CustomerID
	switch at, ok := s.pending[c]; {
	case ok:
		s.lat = append(s.lat, now.Sub(at))
		delete(s.pending, c)
		s.done[c] = true
	case s.done[c]:
		s.res.Redelivered++
	default:
		s.res.Other++
	}
	w.WriteHeader(http.StatusNoContent)
}

// Run serves the receiver and posts probes until ctx ends, then waits up
// to Timeout for the pending deliveries.
func Run(ctx context.Context, o Options) (*Result, error) {
	if o.Every <= 0 {
		o.Every = 200 * time.Millisecond
	}
	if o.Timeout <= 0 {
		o.Timeout = 60 * time.Second
	}
	s := &state{secret: []byte(o.Secret), pending: map[string]time.Time{}, done: map[string]bool{}}
	srv := &http.Server{Handler: s, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(o.Listener) }()
	defer func() { _ = srv.Close() }()
	client := &http.Client{Timeout: 30 * time.Second}
	t := time.NewTicker(o.Every)
	defer t.Stop()
	for n := 0; ctx.Err() == nil; n++ {
		select {
		case <-ctx.Done():
		case <-t.C:
			if err := s.probe(ctx, client, o, n); err != nil && ctx.Err() == nil {
				return nil, err
			}
		}
	}
	deadline := time.Now().Add(o.Timeout)
	for {
		s.mu.Lock()
		left := len(s.pending)
		s.mu.Unlock()
		if left == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.res
	r.Delivered, r.Lost, r.Latency = len(s.lat), len(s.pending), httpload.Summarize(s.lat)
	r.Probes = r.Delivered + r.Lost
	return &r, nil
}

// probe posts one detractor answer of a new customer and records its 2xx.
func (s *state) probe(ctx context.Context, client *http.Client, o Options, n int) error {
	user := fmt.Sprintf("alertprobe-%s-%06d", o.Run, n)
	now := time.Now().UTC().Format(time.RFC3339Nano)
	body := fmt.Sprintf(`{"batch":[{"type":"track","event":"NPS Submitted","messageId":%q,"userId":%q,"properties":{"score":1},"context":{"channel":"email"},"timestamp":%q}],"sentAt":%q}`,
		user, user, now, now)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, o.URL, bytes.NewReader([]byte(body)))
	if err != nil {
		return fmt.Errorf("build probe: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.SetBasicAuth(o.WriteKey, "")
	resp, err := client.Do(req)
	if err != nil {
		if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			return nil
		}
		return fmt.Errorf("post probe: %w", err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	if resp.StatusCode/100 == 2 {
		s.mu.Lock()
		s.pending[user] = time.Now()
		s.mu.Unlock()
	}
	return nil
}
