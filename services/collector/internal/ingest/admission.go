package ingest

import (
	"fmt"
	"net/http"
	"net/netip"
	"sync"

	"golang.org/x/sync/semaphore"

	"github.com/cemhq/cem/pkg/events"
	"github.com/cemhq/cem/pkg/telemetry"
)

// Admission: what a request may cost before it is known to be worth it.
// Every request holds a slot of its client address while it runs, reserves
// in-flight memory before each buffer it reads the body into (the inflated
// bytes, so a gzip body counts at its decoded size; a claimed
// Content-Length reserves at most maxPrealloc before bytes arrive) and for
// its decoding afterwards, within its address's share of the budget, and
// takes one of the global slots only once its body is read.

// clientSlots bounds the requests in progress and the in-flight memory per
// client address (an IPv6 address counts as its /64: clientKey).
type clientSlots struct {
	max      int   // requests per address; <= 0: unbounded
	maxBytes int64 // reserved bytes per address; <= 0: unbounded
	mu       sync.Mutex
	use      map[string]*clientUse // busy addresses only
}

type clientUse struct {
	n     int
	bytes int64
}

func newClientSlots(max int, maxBytes int64) *clientSlots {
	return &clientSlots{max: max, maxBytes: maxBytes, use: map[string]*clientUse{}}
}

// clientKey is the address whose slots and memory share a request takes:
// the address itself, or the /64 of an IPv6 address (one subscriber's
// prefix: a client that holds a /64 has that many addresses to use).
func clientKey(addr string) string {
	ip, err := netip.ParseAddr(addr)
	if err != nil || !ip.Is6() || ip.Is4In6() {
		return addr
	}
	p, _ := ip.WithZone("").Prefix(64)
	return p.String()
}

// entry is addr's use, created when addr has none (s.mu held).
func (s *clientSlots) entry(addr string) *clientUse {
	u := s.use[addr]
	if u == nil {
		u = &clientUse{}
		s.use[addr] = u
	}
	return u
}

// acquire takes a slot of addr; false when addr has max requests in
// progress.
func (s *clientSlots) acquire(addr string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.entry(addr)
	if s.max > 0 && u.n >= s.max {
		return false
	}
	u.n++
	return true
}

func (s *clientSlots) release(addr string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if u := s.use[addr]; u != nil {
		u.n--
		s.drop(addr, u)
	}
}

// reserve adds d bytes to addr's share; false beyond maxBytes.
func (s *clientSlots) reserve(addr string, d int64) bool {
	if s == nil {
		return true
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.entry(addr)
	if s.maxBytes > 0 && u.bytes+d > s.maxBytes {
		s.drop(addr, u)
		return false
	}
	u.bytes += d
	return true
}

func (s *clientSlots) unreserve(addr string, d int64) {
	if s == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if u := s.use[addr]; u != nil {
		u.bytes -= d
		s.drop(addr, u)
	}
}

// drop forgets an address that holds nothing (a write handed over may
// hold bytes after its request released the slot).
func (s *clientSlots) drop(addr string, u *clientUse) {
	if u.n <= 0 && u.bytes <= 0 {
		delete(s.use, addr)
	}
}

// reservation is one request's share of the in-flight memory budget,
// together with what else the request holds until its Kafka write ends
// (tie): both outlive the request when the write does (handOver).
type reservation struct {
	sem   *semaphore.Weighted
	max   int64 // the whole budget
	gauge interface{ Add(float64) }
	// client and addr: the address whose share the bytes count in.
	client *clientSlots
	addr   string
	n      int64
	// refused is why the last growTo failed (bodyMemory, bodyClientMemory).
	refused string
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
// budget or the client address's share does not have them now.
func (r *reservation) growTo(total int64) bool {
	if total <= r.n {
		return true
	}
	d := total - r.n
	if !r.client.reserve(r.addr, d) {
		r.refused = bodyClientMemory
		return false
	}
	if !r.sem.TryAcquire(d) {
		r.client.unreserve(r.addr, d)
		r.refused = bodyMemory
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
		r.client.unreserve(r.addr, r.n)
		r.gauge.Add(-float64(r.n))
		r.n = 0
	}
	for _, done := range r.tied {
		done()
	}
	r.tied = nil
}

// limit is the most one request may reserve: the budget, or the client
// address's share of it.
func (r *reservation) limit() int64 {
	if r.client != nil && r.client.maxBytes > 0 {
		return min(r.max, r.client.maxBytes)
	}
	return r.max
}

// refusal is the answer to a failed growTo.
func (r *reservation) refusal() *bodyError {
	if r.refused == bodyClientMemory {
		return &bodyError{http.StatusTooManyRequests, bodyClientMemory,
			"in-flight memory share of this client address reached; retry when its requests in progress ended"}
	}
	return &bodyError{http.StatusServiceUnavailable, bodyMemory, "in-flight memory limit reached"}
}

// readRequest authenticates a request and reads its body within the
// limits, reserving memory in res for the body and its decoding; it
// answers the client itself when it returns false. A write key in the body
// is read by a scan of the body's top level (events.ReadHead, nothing
// allocated per event) and checked before anything is decoded; so is the
// number of events.
func (h *Handler) readRequest(w http.ResponseWriter, r *http.Request, k kind, res *reservation) (source string, body []byte, head events.Head, ok bool) {
	// Authenticate before reading the body when the key is in the header;
	// a body that carries its key is read before it is known, so it gets a
	// small limit and little time.
	lim := h.bodyLimits(k)
	if key, hasKey := requestKey(r); hasKey {
		if source = h.source(key); source == "" {
			h.unauthorized(w, "unknown write key")
			return "", nil, head, false
		}
		if !h.permitted(w, source, k) {
			return "", nil, head, false
		}
	} else {
		lim.max, lim.unauthenticated, lim.sizeFromLength = min(lim.max, h.cfg.UnauthMaxBytes), true, false
		telemetry.ShortenBody(r, h.cfg.UnauthBodyTimeout)
	}
	body, berr := readBody(r, lim, res)
	if berr == nil {
		head, berr = h.checkHead(w, k, body, &source)
		if berr == nil && source == "" {
			return "", nil, head, false // answered
		}
	}
	// A request holds its body and, while it is decoded, validated and
	// encoded, about ten times that in events (measured: ~20 KB allocated
	// per ~1 KB event), and memPerEvent for each event however small;
	// bound that estimate, not just the body (capped at the whole budget
	// and the address's share, so that one large import may still run
	// alone).
	if berr == nil && !res.growTo(min(int64(len(body))*memPerBodyByte+int64(head.Events)*memPerEvent, res.limit())) {
		berr = res.refusal()
	}
	if berr != nil {
		h.bodyFailed(w, berr)
		return "", nil, head, false
	}
	return source, body, head, true
}

// checkHead reads the head of a body: the write key when *source is not
// known yet (an unknown one is answered 401 here, *source left ""), and
// the number of events, refused beyond the endpoint's maximum.
func (h *Handler) checkHead(w http.ResponseWriter, k kind, body []byte, source *string) (events.Head, *bodyError) {
	if k == kindSingle && *source != "" {
		return events.Head{Events: 1}, nil // nothing to learn before decoding
	}
	head, err := events.ReadHead(body, k == kindImport)
	if err != nil {
		return head, &bodyError{http.StatusBadRequest, bodyInvalid, err.Error()}
	}
	if k == kindSingle {
		head.Events = 1
	}
	if *source == "" {
		if *source = h.source(head.WriteKey); *source == "" {
			h.m.body.WithLabelValues(bodyUnknownKey).Inc()
			h.unauthorized(w, "missing or unknown write key (HTTP basic auth user or writeKey in the body)")
			return head, nil
		}
		if !h.permitted(w, *source, k) {
			*source = ""
			return head, nil
		}
	}
	maxEvents := h.cfg.MaxBatchEvents
	if k == kindImport {
		maxEvents = h.cfg.ImportMaxEvents
	}
	if maxEvents > 0 && head.Events > maxEvents {
		return head, &bodyError{http.StatusRequestEntityTooLarge, bodyTooManyEvents,
			fmt.Sprintf("body: %d events, more than the limit of %d events a request; split the batch", head.Events, maxEvents)}
	}
	return head, nil
}

// bodyFailed answers a request whose body was refused.
func (h *Handler) bodyFailed(w http.ResponseWriter, berr *bodyError) {
	switch berr.reason {
	case bodyMemory:
		h.m.overload.WithLabelValues("memory").Inc()
		h.unavailable(w, 1, berr.msg)
	case bodyClientMemory:
		h.m.overload.WithLabelValues("client_memory").Inc()
		w.Header().Set("Retry-After", "1")
		h.fail(w, http.StatusTooManyRequests, berr.msg)
	default:
		h.m.body.WithLabelValues(berr.reason).Inc()
		h.fail(w, berr.status, berr.msg)
	}
}

func (h *Handler) unauthorized(w http.ResponseWriter, msg string) {
	w.Header().Set("WWW-Authenticate", `Basic realm="cem"`)
	h.fail(w, http.StatusUnauthorized, msg)
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
