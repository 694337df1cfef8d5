// Package ingest is the collector's HTTP API: Segment-compatible endpoints
// that decode, validate, enrich and deduplicate events, produce the accepted
// ones to Kafka and answer 2xx only after Kafka acknowledged all of them.
package ingest

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/sync/semaphore"
	"golang.org/x/time/rate"

	"github.com/cemhq/cem/pkg/events"
	"github.com/cemhq/cem/pkg/httpjson"
	"github.com/cemhq/cem/pkg/record"
	"github.com/cemhq/cem/pkg/suppress"
	"github.com/cemhq/cem/services/collector/internal/dedup"
	"github.com/cemhq/cem/services/collector/internal/enrich"
)

// Sink stores events; kafkasink.Sink is the production one.
type Sink interface {
	// Produce returns nil only when every message is acknowledged.
	Produce(ctx context.Context, msgs []record.Record) error
	DeadLetter(ctx context.Context, msgs []record.Record) error
}

// Suppressor hands out the ids erased on request (GDPR), whose events must
// not be collected again (suppress.List): a request holds the list from its
// check until its Kafka write ended (also when the client already got a
// 503 and the write goes on), so that an erasure waits for it.
type Suppressor = suppress.Holder

// Config configures the handler.
type Config struct {
	// WriteKeys maps each write key to its source name.
	WriteKeys map[string]string
	// ServerSources names the server sources: sources whose write keys are
	// secret (server-side systems). Every other source is a client source
	// (its key is public: a browser or app ships it). Only server sources
	// may use /v1/import; their events carry Enrichment.ServerSource, which
	// the processor requires before an alias moves an existing user's
	// identities.
	ServerSources []string
	// Limits apply to the Segment endpoints, ImportLimits to /v1/import.
	Limits, ImportLimits events.Limits
	// MaxInflightBytes bounds the memory of all requests in progress,
	// estimated as ten times their body size; beyond it requests are
	// answered 503 with Retry-After.
	MaxInflightBytes int64
	// MaxConcurrent bounds requests being decoded and produced (503
	// beyond); a request takes a slot once its body is read.
	MaxConcurrent int
	// MaxConcurrentPerClient bounds the requests in progress of one client
	// address (an IPv6 address counts as its /64), body reading included
	// (429 beyond; 0: unbounded).
	MaxConcurrentPerClient int
	// MaxInflightBytesPerClient bounds one client address's share of
	// MaxInflightBytes (429 beyond; 0: unbounded).
	MaxInflightBytesPerClient int64
	// MaxBatchEvents bounds the events of one request of the Segment
	// endpoints, ImportMaxEvents of /v1/import (413 beyond; 0: unbounded).
	MaxBatchEvents, ImportMaxEvents int
	// MaxRejectionsListed bounds the rejected events of one request that
	// are listed in its answer and written to the DLQ: the first ones, the
	// rest only counted (0: DefaultMaxRejectionsListed).
	MaxRejectionsListed int
	// UnauthMaxBytes bounds the body of a request without basic auth: its
	// write key is in the body (sendBeacon), so it is read before the key
	// is known. UnauthBodyTimeout bounds the time to read it.
	UnauthMaxBytes    int
	UnauthBodyTimeout time.Duration
	// MaxInflateRatio bounds how many times a gzip body may inflate (413
	// beyond; 0: unbounded).
	MaxInflateRatio int
	// ProduceTimeout bounds the wait for Kafka acks (503 after).
	ProduceTimeout time.Duration
	// RateLimit is the events/s allowed per source (0: unlimited), with
	// bursts of RateBurst events; beyond it requests get 429. A request
	// with more valid events than RateBurst can never pass: 413.
	RateLimit float64
	RateBurst int
	// DedupSize and DedupWindow bound the messageId deduplication.
	DedupSize   int
	DedupWindow time.Duration
	// CORS is the policy for browsers posting from other origins.
	CORS CORSConfig
	// PublicURL is the collector's address as browsers reach it (e.g.
	// https://collector.example), written into the SDK settings it serves;
	// empty: taken from each settings request's Host.
	PublicURL string
	// TrustedProxies may set X-Forwarded-For.
	TrustedProxies []string
	// EventMaxFuture and EventMaxPast bound event times around their
	// arrival: beyond, the Segment endpoints clamp the timestamp to
	// receivedAt and /v1/import refuses the event (events.TimeBounds; 0:
	// unbounded).
	EventMaxFuture, EventMaxPast time.Duration
	// DLQMaxRawBytes caps the raw payload of a DLQ record
	// (events.DefaultMaxRawBytes when 0).
	DLQMaxRawBytes int
	// Version is written into DLQ records.
	Version string
}

// Handler serves the ingestion endpoints.
type Handler struct {
	cfg        Config
	keys       [][2]string // (key, source)
	secrets    []string    // the keys, redacted from DLQ records
	server     map[string]bool
	dec, imp   *events.Decoder
	sink       Sink
	dedup      *dedup.Set
	enr        *enrich.Enricher
	suppressor Suppressor
	inflight   *semaphore.Weighted
	slots      chan struct{}
	clients    *clientSlots
	m          *metrics
	cors       *cors
	public     *url.URL // PublicURL parsed; nil: from the request
	log        *slog.Logger
	now        func() time.Time

	limMu    sync.Mutex
	limiters map[string]*rate.Limiter
}

// New builds a Handler. suppressor may be nil.
func New(cfg Config, sink Sink, suppressor Suppressor, reg prometheus.Registerer, log *slog.Logger) (*Handler, error) {
	if len(cfg.WriteKeys) == 0 {
		return nil, errors.New("no write keys configured")
	}
	dec, err := events.NewDecoder(cfg.Limits)
	if err != nil {
		return nil, err
	}
	imp, err := events.NewDecoder(cfg.ImportLimits)
	if err != nil {
		return nil, err
	}
	imp.KeepClientTime = true
	dec.Time = events.TimeBounds{MaxFuture: cfg.EventMaxFuture, MaxPast: cfg.EventMaxPast}
	imp.Time = events.TimeBounds{MaxFuture: cfg.EventMaxFuture, MaxPast: cfg.EventMaxPast, Refuse: true}
	enr, err := enrich.New(cfg.TrustedProxies)
	if err != nil {
		return nil, err
	}
	if cfg.MaxConcurrent <= 0 {
		cfg.MaxConcurrent = 1024
	}
	if cfg.MaxInflightBytes <= 0 {
		cfg.MaxInflightBytes = 256 << 20
	}
	if cfg.UnauthMaxBytes <= 0 {
		cfg.UnauthMaxBytes = 64 << 10
	}
	if cfg.MaxRejectionsListed <= 0 {
		cfg.MaxRejectionsListed = DefaultMaxRejectionsListed
	}
	if cfg.UnauthBodyTimeout <= 0 {
		cfg.UnauthBodyTimeout = 10 * time.Second
	}
	h := &Handler{
		cfg: cfg, dec: dec, imp: imp, sink: sink, enr: enr, suppressor: suppressor,
		dedup:    dedup.New(cfg.DedupSize, cfg.DedupWindow),
		inflight: semaphore.NewWeighted(cfg.MaxInflightBytes),
		slots:    make(chan struct{}, cfg.MaxConcurrent),
		clients:  newClientSlots(cfg.MaxConcurrentPerClient, cfg.MaxInflightBytesPerClient),
		log:      log, now: time.Now, limiters: map[string]*rate.Limiter{},
	}
	for k, src := range cfg.WriteKeys {
		h.keys = append(h.keys, [2]string{k, src})
		h.secrets = append(h.secrets, k)
	}
	h.server = make(map[string]bool, len(cfg.ServerSources))
	for _, src := range cfg.ServerSources {
		h.server[src] = true
	}
	h.m = newMetrics(reg, h.dedup.Len)
	if h.cors, err = newCORS(cfg.CORS, reg); err != nil {
		return nil, err
	}
	if h.public, err = parsePublicURL(cfg.PublicURL); err != nil {
		return nil, err
	}
	return h, nil
}

type kind int

const (
	kindSingle kind = iota
	kindBatch
	kindImport
)

// memPerBodyByte estimates the memory a request holds per byte of body,
// memPerEvent per event on top (an events.Item, its rejection, DLQ record
// or Kafka record: measured ~1.2 KB for an event of one byte).
const (
	memPerBodyByte = 10
	memPerEvent    = 2048
)

// DefaultMaxRejectionsListed is Config.MaxRejectionsListed's default.
const DefaultMaxRejectionsListed = 100

// Rejection is one rejected event in a response.
type Rejection struct {
	Index     int           `json:"index"`
	MessageID string        `json:"messageId,omitempty"`
	Reason    events.Reason `json:"reason"`
	Error     string        `json:"error"`
}

// Response is the JSON answer of every ingestion request.
type Response struct {
	Success    bool        `json:"success"`
	Accepted   int         `json:"accepted"`
	Duplicates int         `json:"duplicates"`
	Rejected   []Rejection `json:"rejected,omitempty"`
	// RejectedCount is the number of rejected events when rejected lists
	// only the first of them (Config.MaxRejectionsListed).
	RejectedCount int    `json:"rejectedCount,omitempty"`
	Error         string `json:"error,omitempty"`
}

func (h *Handler) serve(w http.ResponseWriter, r *http.Request, k kind, typ events.Type) {
	addr := clientKey(h.enr.ClientIP(r))
	if !h.clients.acquire(addr) {
		h.m.overload.WithLabelValues("client").Inc()
		w.Header().Set("Retry-After", "1")
		h.fail(w, http.StatusTooManyRequests, "too many requests in progress from this client address")
		return
	}
	defer h.clients.release(addr)
	res := &reservation{sem: h.inflight, max: h.cfg.MaxInflightBytes, gauge: h.m.inflight, client: h.clients, addr: addr}
	defer res.release()
	source, body, head, ok := h.readRequest(w, r, k, res)
	if !ok {
		return
	}
	// The global slots bound the requests being decoded and produced; a
	// request takes one only with its body in hand, so that slow clients
	// cannot hold them.
	select {
	case h.slots <- struct{}{}:
		defer func() { <-h.slots }()
	default:
		h.m.overload.WithLabelValues("concurrency").Inc()
		h.unavailable(w, 1, "too many requests in progress")
		return
	}
	received := h.now()
	var (
		b   *events.Body
		err error
	)
	switch {
	case k == kindSingle:
		b, err = h.dec.DecodeEvent(body, typ, received)
	case k == kindImport && !head.Batch:
		b, err = h.imp.DecodeNDJSON(body, received)
	case k == kindImport:
		b, err = h.imp.DecodeBatch(body, received)
	default:
		b, err = h.dec.DecodeBatch(body, received)
	}
	if err != nil {
		var re *events.RequestError
		if errors.As(err, &re) && re.Reason == events.ReasonSize {
			h.fail(w, http.StatusRequestEntityTooLarge, re.Error())
			return
		}
		h.fail(w, http.StatusBadRequest, err.Error())
		return
	}
	h.m.batch.Observe(float64(len(b.Items)))
	h.ingest(w, r, source, b, res)
}

func (h *Handler) ingest(w http.ResponseWriter, r *http.Request, source string, b *events.Body, res *reservation) {
	var (
		resp      = Response{Success: true}
		msgs      = make([]record.Record, 0, len(b.Items))
		dead      []record.Record
		ids       = make([]string, 0, len(b.Items))
		types     = make([]string, 0, len(b.Items))
		inRequest = make(map[string]bool, len(b.Items))
		counts    = map[[2]string]int{}
		clientIP  = h.enr.ClientIP(r)
		ua        = enrich.BrowserUA(r) // "" for server-side posts: not bots, no device
		erased    suppress.Held
	)
	if h.suppressor != nil {
		// Held until the events are written: a write that outlives the
		// request (produce) releases it when it ends, so an erasure waits
		// for it.
		erased = h.suppressor.Hold()
		res.tie(erased.Release)
	}
	reject := func(it *events.Item, reason events.Reason, msg string, toDLQ bool) {
		mid := it.Event.MessageID
		if it.Err != nil {
			mid = messageIDOf(it.Raw)
		}
		h.m.rejected.WithLabelValues(string(reason)).Inc()
		counts[[2]string{"", "rejected"}]++
		resp.RejectedCount++
		if len(resp.Rejected) == h.cfg.MaxRejectionsListed {
			h.m.dlqUnlisted.Inc()
			return // counted only
		}
		resp.Rejected = append(resp.Rejected, Rejection{Index: it.Index, MessageID: mid, Reason: reason, Error: msg})
		if toDLQ {
			dead = append(dead, h.failure(source, it, reason, msg, mid))
		}
	}
	valid := 0
	for i := range b.Items {
		if b.Items[i].Err == nil {
			valid++
		}
	}
	if burst := max(h.cfg.RateBurst, 1); h.cfg.RateLimit > 0 && valid > burst {
		// The source's bucket never holds that many tokens: 429 would be
		// answered to every retry of this request, forever.
		h.fail(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("%d valid events in one request exceed the rate burst of source %s (%d, CEM_RATE_BURST): send smaller batches", valid, source, burst))
		return
	}
	if valid > 0 && !h.allow(source, valid) {
		h.m.overload.WithLabelValues("rate").Inc()
		w.Header().Set("Retry-After", "1")
		h.fail(w, http.StatusTooManyRequests, fmt.Sprintf("rate limit of source %s exceeded", source))
		return
	}
	for i := range b.Items {
		it := &b.Items[i]
		if it.Err != nil {
			reject(it, it.Err.Reason, it.Err.Error(), true)
			continue
		}
		ev := &it.Event
		ev.Source = source
		ev.Enrichment.ServerSource = h.server[source]
		if ev.MessageID == "" {
			ev.MessageID = uuid.NewString()
			ev.Enrichment.MessageIDGenerated = true
		}
		if suppress.Event(erased, ev) {
			// Erased on request: not stored anywhere, the DLQ included.
			reject(it, events.ReasonSuppressed, "the customer's data was erased on request; events for this id are not collected", false)
			continue
		}
		if inRequest[ev.MessageID] || h.dedup.Seen(source, ev.MessageID) {
			resp.Duplicates++
			counts[[2]string{string(ev.Type), "duplicate"}]++
			continue
		}
		inRequest[ev.MessageID] = true
		if ev.Context.Channel == "" && ev.Channel() == "" && source != "other" && events.IsChannel(source) {
			// A server-side source named after its channel (phone, email, ...)
			// stamps its events with it.
			ev.Context.Channel = source
		}
		h.enr.Apply(ev, clientIP, ua)
		val, err := events.Marshal(ev)
		if err != nil {
			reject(it, events.ReasonFormat, "cannot encode: "+err.Error(), true)
			continue
		}
		msgs = append(msgs, record.Record{
			Key: []byte(ev.CustomerKey()), Value: val,
			Headers: []record.Header{{Key: events.HeaderVersion, Value: []byte(strconv.Itoa(events.WireVersion))}},
		})
		ids = append(ids, ev.MessageID)
		types = append(types, string(ev.Type))
	}
	for k, n := range counts {
		h.m.events.WithLabelValues(source, k[0], k[1]).Add(float64(n))
	}

	ctx, cancel := context.WithTimeout(r.Context(), h.cfg.ProduceTimeout)
	defer cancel()
	var wg sync.WaitGroup
	if len(dead) > 0 {
		wg.Go(func() {
			if err := h.sink.DeadLetter(ctx, dead); err != nil {
				h.m.dlqErrors.Inc()
				h.log.Warn("dlq write failed; rejected events are reported to the client only", "source", source, "count", len(dead), "err", errSummary(err))
			}
		})
	}
	err := h.produce(ctx, r.Context(), source, msgs, ids, types, res)
	wg.Wait()
	if err != nil {
		h.m.produceErrors.Inc()
		h.log.Warn("kafka produce failed; answering 503", "source", source, "events", len(msgs), "err", errSummary(err))
		h.unavailable(w, 5, "events could not be stored (Kafka unavailable); nothing of this request was acknowledged, retry later")
		return
	}
	resp.Accepted = len(msgs)
	if resp.RejectedCount <= len(resp.Rejected) {
		resp.RejectedCount = 0 // all listed
	} else {
		resp.Error = fmt.Sprintf("%d events rejected; rejected lists the first %d (the others are not listed nor written to the DLQ)",
			resp.RejectedCount, len(resp.Rejected))
	}
	code := http.StatusOK
	if resp.Accepted == 0 && resp.Duplicates == 0 && len(resp.Rejected) > 0 {
		resp.Success = false
		code = http.StatusBadRequest
	}
	_ = httpjson.Write(w, code, resp) // a Response always encodes
}

func (h *Handler) failure(source string, it *events.Item, reason events.Reason, msg, mid string) record.Record {
	f := events.Failure{
		V: 1, Stage: "collector", Version: h.cfg.Version, Reason: reason, Error: msg,
		Source: source, MessageID: mid, Index: it.Index, At: h.now().UTC(),
	}
	f.SetRaw(it.Raw, h.cfg.DLQMaxRawBytes, h.secrets...)
	return record.Record{Key: []byte(source), Value: f.Encode()}
}

// messageIDOf digs the messageId out of a rejected event, if it has one.
func messageIDOf(raw []byte) string {
	var probe struct {
		MessageID any `json:"messageId"`
	}
	if json.Unmarshal(raw, &probe) != nil {
		return ""
	}
	if s, ok := probe.MessageID.(string); ok && len(s) <= 200 {
		return s
	}
	return ""
}

// permitted answers 403 and reports false when source may not use the
// endpoint: /v1/import (bulk history that may move identities) is for
// server sources only, since a client source's key is public.
func (h *Handler) permitted(w http.ResponseWriter, source string, k kind) bool {
	if k != kindImport || h.server[source] {
		return true
	}
	h.fail(w, http.StatusForbidden, fmt.Sprintf("/v1/import needs the write key of a server source; %s is a client source (its key is public). Declare server sources in CEM_SERVER_SOURCES", source))
	return false
}

// source returns the source of a write key ("" when unknown), comparing in
// constant time against every configured key.
func (h *Handler) source(key string) string {
	if key == "" {
		return ""
	}
	found := ""
	for _, kv := range h.keys {
		if subtle.ConstantTimeCompare([]byte(key), []byte(kv[0])) == 1 {
			found = kv[1]
		}
	}
	return found
}

func (h *Handler) allow(source string, n int) bool {
	if h.cfg.RateLimit <= 0 {
		return true
	}
	h.limMu.Lock()
	l, ok := h.limiters[source]
	if !ok {
		burst := max(h.cfg.RateBurst, 1)
		l = rate.NewLimiter(rate.Limit(h.cfg.RateLimit), burst)
		h.limiters[source] = l
	}
	h.limMu.Unlock()
	return l.AllowN(h.now(), n)
}

func (h *Handler) unavailable(w http.ResponseWriter, retryAfter int, msg string) {
	w.Header().Set("Retry-After", strconv.Itoa(retryAfter))
	h.fail(w, http.StatusServiceUnavailable, msg)
}

func (h *Handler) fail(w http.ResponseWriter, code int, msg string) {
	_ = httpjson.Write(w, code, Response{Success: false, Error: msg})
}
