package httpload

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// Source yields request bodies; Next must be safe for concurrent use and
// write the body into buf when it can.
type Source interface {
	Next(buf []byte) (body []byte, source string, events int)
}

// Config configures a Run.
type Config struct {
	// URL receives POSTs, e.g. http://127.0.0.1:8080/v1/batch.
	URL string
	// WriteKeys maps a source to its write key (HTTP basic auth user);
	// DefaultKey is used for sources not listed. Empty: no auth header.
	WriteKeys  map[string]string
	DefaultKey string
	// Rate is the open-loop target in events/s; 0 runs closed-loop.
	Rate float64
	// Connections is the number of concurrent requests: the closed-loop
	// workers, or the open-loop cap on requests in flight. Default 32.
	Connections int
	// Duration bounds the run; MaxEvents stops it after that many events
	// were sent. At least one must be set.
	Duration  time.Duration
	MaxEvents int64
	// Timeout bounds one request. Default 30s.
	Timeout time.Duration
	// OnOK, when set, is called after each 2xx response with the body sent
	// and the time the response arrived.
	OnOK func(body []byte, at time.Time)
}

// Result is what a Run measured.
type Result struct {
	Mode        string         `json:"mode"`
	TargetEPS   float64        `json:"target_eps,omitempty"`
	Connections int            `json:"connections"`
	Seconds     float64        `json:"seconds"`
	Requests    int64          `json:"requests"`
	OK          int64          `json:"ok"`
	Events      int64          `json:"events"`
	OKEvents    int64          `json:"ok_events"`
	EPS         float64        `json:"eps"`
	Status      map[string]int `json:"status"`
	// Missed counts open-loop sends skipped because Connections requests
	// were already in flight (the server could not keep up).
	Missed  int64   `json:"missed"`
	Latency Latency `json:"latency"`
}

// Run posts bodies from src until the duration or event count is reached
// or ctx ends.
func Run(ctx context.Context, cfg Config, src Source) (*Result, error) {
	if cfg.Duration <= 0 && cfg.MaxEvents <= 0 {
		return nil, errors.New("need a duration or an event count")
	}
	if cfg.Connections <= 0 {
		cfg.Connections = 32
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 30 * time.Second
	}
	reqCtx := ctx // in-flight requests finish after the duration
	if cfg.Duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, cfg.Duration)
		defer cancel()
	}
	client := &http.Client{Timeout: cfg.Timeout, Transport: &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        cfg.Connections * 2,
		MaxIdleConnsPerHost: cfg.Connections * 2,
		MaxConnsPerHost:     cfg.Connections * 2,
		DisableCompression:  true,
		IdleConnTimeout:     90 * time.Second,
	}}
	defer client.CloseIdleConnections()
	r := &runner{cfg: cfg, src: src, client: client, status: map[string]int{}, reqCtx: reqCtx}
	start := time.Now()
	if cfg.Rate > 0 {
		r.openLoop(ctx, start)
	} else {
		r.closedLoop(ctx)
	}
	el := time.Since(start)
	res := &Result{
		Mode: "closed", Connections: cfg.Connections, Seconds: el.Seconds(), Requests: r.requests.Load(), OK: r.ok.Load(),
		Events: r.events.Load(), OKEvents: r.okEvents.Load(), Status: r.status, Missed: r.missed.Load(),
	}
	if cfg.Rate > 0 {
		res.Mode, res.TargetEPS = "open", cfg.Rate
	}
	res.EPS = float64(res.OKEvents) / el.Seconds()
	var all []time.Duration
	for _, l := range r.lat {
		all = append(all, l...)
	}
	res.Latency = Summarize(all)
	return res, nil
}

type runner struct {
	cfg    Config
	src    Source
	client *http.Client
	reqCtx context.Context

	requests, ok, events, okEvents, missed atomic.Int64

	mu     sync.Mutex
	status map[string]int
	lat    [][]time.Duration
}

// budget reserves n events against MaxEvents; false when it is spent.
func (r *runner) budget(n int) bool {
	if r.cfg.MaxEvents <= 0 {
		return true
	}
	return r.events.Add(int64(n)) <= r.cfg.MaxEvents
}

// post sends one body; intended is when it should have started.
func (r *runner) post(body []byte, source string, n int, intended time.Time, lat *[]time.Duration) {
	ctx := r.reqCtx
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.cfg.URL, bytes.NewReader(body))
	if err != nil {
		r.count("error")
		return
	}
	req.Header.Set("Content-Type", "application/json")
	key := r.cfg.DefaultKey
	if k, ok := r.cfg.WriteKeys[source]; ok {
		key = k
	}
	if key != "" {
		req.SetBasicAuth(key, "")
	}
	r.requests.Add(1)
	if r.cfg.MaxEvents <= 0 {
		r.events.Add(int64(n))
	}
	resp, err := r.client.Do(req)
	if err != nil {
		if ctx.Err() == nil {
			r.count("error")
		}
		return
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	now := time.Now()
	r.count(strconv.Itoa(resp.StatusCode))
	if resp.StatusCode/100 == 2 {
		r.ok.Add(1)
		r.okEvents.Add(int64(n))
		*lat = append(*lat, now.Sub(intended))
		if r.cfg.OnOK != nil {
			r.cfg.OnOK(body, now)
		}
	}
}

func (r *runner) count(code string) {
	r.mu.Lock()
	r.status[code]++
	r.mu.Unlock()
}

func (r *runner) keep(lat []time.Duration) {
	r.mu.Lock()
	r.lat = append(r.lat, lat)
	r.mu.Unlock()
}

func (r *runner) closedLoop(ctx context.Context) {
	var wg sync.WaitGroup
	for range r.cfg.Connections {
		wg.Go(func() {
			var lat []time.Duration
			buf := make([]byte, 0, 128<<10)
			for ctx.Err() == nil {
				body, src, n := r.src.Next(buf)
				if !r.budget(n) {
					break
				}
				r.post(body, src, n, time.Now(), &lat)
				buf = body
			}
			r.keep(lat)
		})
	}
	wg.Wait()
}

type job struct {
	at time.Time
}

// openLoop schedules one request every interval (events per batch / Rate)
// and hands it to a free worker; with all Connections busy the send is
// counted as missed, so the run stays bounded.
func (r *runner) openLoop(ctx context.Context, start time.Time) {
	jobs := make(chan job, r.cfg.Connections)
	var wg sync.WaitGroup
	var avgBatch atomic.Int64
	avgBatch.Store(100)
	for range r.cfg.Connections {
		wg.Go(func() {
			var lat []time.Duration
			buf := make([]byte, 0, 128<<10)
			for j := range jobs {
				body, src, n := r.src.Next(buf)
				avgBatch.Store(int64(n))
				if !r.budget(n) {
					continue
				}
				r.post(body, src, n, j.at, &lat)
				buf = body
			}
			r.keep(lat)
		})
	}
	defer func() {
		close(jobs)
		wg.Wait()
	}()
	for k := 0; ; k++ {
		interval := time.Duration(float64(avgBatch.Load()) / r.cfg.Rate * float64(time.Second))
		at := start.Add(time.Duration(k) * interval)
		if d := time.Until(at); d > 0 {
			t := time.NewTimer(d)
			select {
			case <-ctx.Done():
				t.Stop()
				return
			case <-t.C:
			}
		}
		if ctx.Err() != nil || (r.cfg.MaxEvents > 0 && r.events.Load() >= r.cfg.MaxEvents) {
			return
		}
		select {
		case jobs <- job{at: at}:
		default:
			r.missed.Add(1)
		}
	}
}

// String is a one-line summary.
func (res *Result) String() string {
	return fmt.Sprintf("%s: %.0f events/s (%d ok of %d requests), p50 %.1f ms p99 %.1f ms, missed %d, status %v",
		res.Mode, res.EPS, res.OK, res.Requests, res.Latency.P50, res.Latency.P99, res.Missed, res.Status)
}
