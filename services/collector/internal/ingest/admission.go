package ingest

import (
	"net/http"
	"sync"

	"golang.org/x/sync/semaphore"

	"github.com/cemhq/cem/pkg/telemetry"
)

// Admission: what a request may cost before it is known to be worth it.
// Every request holds a slot of its client address while it runs, reserves
// in-flight memory before each buffer it reads the body into (the inflated
// bytes, so a gzip body counts at its decoded size) and for its decoding
// afterwards, and takes one of the global slots only once its body is read.

// clientSlots bounds the requests in progress per client address.
type clientSlots struct {
	max int
	mu  sync.Mutex
	n   map[string]int
}

func newClientSlots(max int) *clientSlots {
	return &clientSlots{max: max, n: map[string]int{}}
}

// acquire takes a slot of addr; false when addr has max requests in
// progress (max <= 0: unbounded).
func (s *clientSlots) acquire(addr string) bool {
	if s.max <= 0 {
		return true
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.n[addr] >= s.max {
		return false
	}
	s.n[addr]++
	return true
}

func (s *clientSlots) release(addr string) {
	if s.max <= 0 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.n[addr] <= 1 {
		delete(s.n, addr) // the map holds busy addresses only
		return
	}
	s.n[addr]--
}

// reservation is one request's share of the in-flight memory budget,
// together with what else the request holds until its Kafka write ends
// (tie): both outlive the request when the write does (handOver).
type reservation struct {
	sem   *semaphore.Weighted
	max   int64 // the whole budget
	gauge interface{ Add(float64) }
	n     int64
	// handed: a Kafka write that outlives the request owns the bytes now
	// and releases them when it ends (handOver); release is a no-op.
	handed bool
	tied   []func()
}

// tie runs done when the reservation is freed: when the request ends, or
// when a write handed over ends.
func (r *reservation) tie(done func()) {
	r.tied = append(r.tied, done)
}

// growTo reserves up to total bytes for the request; false when the
// budget does not have them now.
func (r *reservation) growTo(total int64) bool {
	if total <= r.n {
		return true
	}
	d := total - r.n
	if !r.sem.TryAcquire(d) {
		return false
	}
	r.n = total
	r.gauge.Add(float64(d))
	return true
}

func (r *reservation) release() {
	if !r.handed {
		r.free()
	}
}

// handOver passes the reservation to a goroutine that outlives the
// request: the returned function releases it (once); the request's own
// release does nothing after this.
func (r *reservation) handOver() func() {
	r.handed = true
	return sync.OnceFunc(r.free)
}

func (r *reservation) free() {
	if r.n > 0 {
		r.sem.Release(r.n)
		r.gauge.Add(-float64(r.n))
		r.n = 0
	}
	for _, done := range r.tied {
		done()
	}
	r.tied = nil
}

// readRequest authenticates a request and reads its body within the
// limits, reserving memory in res for the body and its decoding; it
// answers the client itself when it returns false. source is "" when the
// write key is in the body.
func (h *Handler) readRequest(w http.ResponseWriter, r *http.Request, k kind, res *reservation) (source string, body []byte, ok bool) {
	// Authenticate before reading the body when the key is in the header;
	// a body that carries its key is read before it is known, so it gets a
	// small limit and little time.
	lim := h.bodyLimits(k)
	if key, hasKey := requestKey(r); hasKey {
		if source = h.source(key); source == "" {
			w.Header().Set("WWW-Authenticate", `Basic realm="cem"`)
			h.fail(w, http.StatusUnauthorized, "unknown write key")
			return "", nil, false
		}
		if !h.permitted(w, source, k) {
			return "", nil, false
		}
	} else {
		lim.max, lim.unauthenticated, lim.sizeFromLength = min(lim.max, h.cfg.UnauthMaxBytes), true, false
		telemetry.ShortenBody(r, h.cfg.UnauthBodyTimeout)
	}
	body, berr := readBody(r, lim, res)
	// A request holds its body and, while it is decoded, validated and
	// encoded, about ten times that in events (measured: ~20 KB allocated
	// per ~1 KB event); bound that estimate, not just the body (capped at
	// the whole budget, so that one large import may still run alone).
	if berr == nil && !res.growTo(min(int64(len(body))*memPerBodyByte, res.max)) {
		berr = &bodyError{http.StatusServiceUnavailable, bodyMemory, "in-flight memory limit reached"}
	}
	if berr != nil {
		if berr.reason == bodyMemory {
			h.m.overload.WithLabelValues("memory").Inc()
			h.unavailable(w, 1, berr.msg)
			return "", nil, false
		}
		h.m.body.WithLabelValues(berr.reason).Inc()
		h.fail(w, berr.status, berr.msg)
		return "", nil, false
	}
	return source, body, true
}

// bodyLimits are the body limits of an endpoint for a request whose write
// key is known before reading.
func (h *Handler) bodyLimits(k kind) bodyLimits {
	lim := bodyLimits{max: h.cfg.Limits.MaxBatchBytes, ratio: h.cfg.MaxInflateRatio, sizeFromLength: true}
	if k == kindImport {
		lim.max = h.cfg.ImportLimits.MaxBatchBytes
	}
	return lim
}
