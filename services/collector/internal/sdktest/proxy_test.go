package sdktest

import (
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"sync"
	"sync/atomic"
	"time"
)

// faultProxy sits between the browser and the collector. Armed, it fails
// every POST for a while from the first one on (a collector failing
// transiently): every other failed request is not forwarded at all (the
// collector never saw it), the rest are forwarded and their answer is
// replaced with the 503 (the events are stored, the SDK does not know: its
// retry must be answered as a duplicate). It keeps the Host header, so the
// settings the collector serves point at the proxy.
type faultProxy struct {
	rp *httputil.ReverseProxy

	mu     sync.Mutex
	window time.Duration // armed: length of the next fault window
	until  time.Time
	n      int

	failed, forwardedFailed, retries atomic.Int64
	lastPost                         atomic.Int64 // unix ns
}

// quietFor is how long the proxy has not seen a POST.
func (p *faultProxy) quietFor() time.Duration {
	return time.Since(time.Unix(0, p.lastPost.Load()))
}

func newFaultProxy(collector string) (*faultProxy, *httptest.Server, error) {
	target, err := url.Parse(collector)
	if err != nil {
		return nil, nil, err
	}
	p := &faultProxy{rp: &httputil.ReverseProxy{Rewrite: func(r *httputil.ProxyRequest) {
		r.SetURL(target)
		r.Out.Host = r.In.Host
	}}}
	return p, httptest.NewServer(p), nil
}

// arm makes the next POST start a fault window of d.
func (p *faultProxy) arm(d time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.window, p.until = d, time.Time{}
}

// fail reports whether r falls into a fault window, and whether it is one
// to forward before failing.
func (p *faultProxy) fail(r *http.Request) (fail, forward bool) {
	if r.Method != http.MethodPost {
		return false, false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	now := time.Now()
	if p.window > 0 {
		p.until, p.window = now.Add(p.window), 0
	}
	if now.After(p.until) {
		return false, false
	}
	p.n++
	return true, p.n%2 == 0
}

func (p *faultProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodPost {
		p.lastPost.Store(time.Now().UnixNano())
	}
	if r.Header.Get("X-Retry-Count") != "" || r.Header.Get("Rsa-Retry-Attempt") != "" {
		p.retries.Add(1)
	}
	fail, forward := p.fail(r)
	if !fail {
		p.rp.ServeHTTP(w, r)
		return
	}
	p.failed.Add(1)
	if forward {
		rec := httptest.NewRecorder()
		p.rp.ServeHTTP(rec, r)
		if rec.Code == http.StatusOK {
			p.forwardedFailed.Add(1)
		}
	}
	// What the collector answers when Kafka does not acknowledge.
	h := w.Header()
	h.Set("Access-Control-Allow-Origin", "*")
	h.Set("Access-Control-Expose-Headers", "Retry-After")
	h.Set("Retry-After", "1")
	h.Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusServiceUnavailable)
	_, _ = w.Write([]byte(`{"success":false,"error":"events could not be stored (test fault); retry later"}`))
}
