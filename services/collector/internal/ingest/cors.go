package ingest

import (
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// CORSConfig is the collector's answer to browsers posting from other
// origins (every website posts cross-origin to its collector).
type CORSConfig struct {
	// Origins are the allowed origins (scheme://host[:port]); "*" allows
	// any. A request with an Origin header from another origin is refused
	// (preflight 403, POST 403) and counted in
	// cem_collector_cors_refused_total.
	Origins []string
	// Headers are request headers allowed in addition to SDKHeaders.
	Headers []string
	// Credentials sends Access-Control-Allow-Credentials: true (with the
	// request's origin echoed). Off by default: write keys are not cookies
	// and no SDK needs it; not allowed with the "*" origin.
	Credentials bool
	// MaxAge is how long a browser may cache a preflight answer
	// (Access-Control-Max-Age; default 2h, Chromium's maximum).
	MaxAge time.Duration
}

// SDKHeaders are the request headers the browser SDKs send, allowed in
// every preflight answer: analytics-next (Authorization, X-Retry-Count),
// RudderStack JS (Authorization, AnonymousId, SentAt, Rsa-Retry-Attempt,
// Rsa-Since-Last-Attempt, Rsa-Since-First-Attempt, Rsa-Retry-Reason,
// Rsa-Recovered) and gzip bodies (Content-Encoding).
var SDKHeaders = []string{
	"Content-Type", "Content-Encoding", "Authorization", "Accept",
	"X-Retry-Count",
	"AnonymousId", "SentAt", "Rsa-Retry-Attempt", "Rsa-Since-Last-Attempt", "Rsa-Since-First-Attempt", "Rsa-Retry-Reason", "Rsa-Recovered",
}

// cors applies a CORSConfig.
type cors struct {
	any         bool
	origins     []string
	headers     map[string]bool // lower-case
	allowList   string
	credentials bool
	maxAge      string
	refused     *prometheus.CounterVec
}

func newCORS(c CORSConfig, reg prometheus.Registerer) (*cors, error) {
	p := &cors{headers: map[string]bool{}, credentials: c.Credentials}
	for _, o := range c.Origins {
		o = strings.TrimRight(strings.TrimSpace(o), "/")
		switch {
		case o == "*":
			p.any = true
		case o != "":
			p.origins = append(p.origins, strings.ToLower(o))
		}
	}
	if p.any && p.credentials {
		return nil, errors.New("cors: credentials cannot be allowed for any origin (*): list the origins")
	}
	var list []string
	for _, h := range append(slices.Clone(SDKHeaders), c.Headers...) {
		h = strings.TrimSpace(h)
		if h != "" && !p.headers[strings.ToLower(h)] {
			p.headers[strings.ToLower(h)] = true
			list = append(list, h)
		}
	}
	p.allowList = strings.Join(list, ", ")
	if c.MaxAge <= 0 {
		c.MaxAge = 2 * time.Hour
	}
	p.maxAge = strconv.Itoa(int(c.MaxAge / time.Second))
	p.refused = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "cem_collector_cors_refused_total",
		Help: "Browser requests refused by the CORS policy, by reason (origin: not an allowed origin; header: the preflight asked for a header that is not allowed; method).",
	}, []string{"reason"})
	for _, r := range []string{"origin", "header", "method"} {
		p.refused.WithLabelValues(r)
	}
	if err := reg.Register(p.refused); err != nil {
		return nil, err
	}
	return p, nil
}

// allowed reports whether origin may post.
func (p *cors) allowed(origin string) bool {
	return p.any || slices.Contains(p.origins, strings.ToLower(origin))
}

// answer sets the CORS headers of the answer to a request from an allowed
// origin, or counts and reports false for a refused one (requests without
// an Origin header are not browsers' cross-origin requests: true).
func (p *cors) answer(w http.ResponseWriter, r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true
	}
	if !p.allowed(origin) {
		p.refused.WithLabelValues("origin").Inc()
		return false
	}
	h := w.Header()
	if p.any && !p.credentials {
		h.Set("Access-Control-Allow-Origin", "*")
	} else {
		h.Set("Access-Control-Allow-Origin", origin)
		varyOrigin(h)
	}
	if p.credentials {
		h.Set("Access-Control-Allow-Credentials", "true")
	}
	// analytics-next reads Retry-After of a 429 or 503.
	h.Set("Access-Control-Expose-Headers", "Retry-After")
	return true
}

// cacheable prepares the headers of an answer that shared caches may keep
// (the SDK settings): it varies by Origin whatever the request, and with
// the "*" origin (no credentials) it allows every origin also when the
// request has no Origin, so that the cached copy serves every browser.
func (p *cors) cacheable(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	varyOrigin(h)
	if r.Header.Get("Origin") == "" && p.any && !p.credentials {
		h.Set("Access-Control-Allow-Origin", "*")
		h.Set("Access-Control-Expose-Headers", "Retry-After")
	}
}

// varyOrigin adds Origin to the Vary header once.
func varyOrigin(h http.Header) {
	for _, v := range h.Values("Vary") {
		for f := range strings.SplitSeq(v, ",") {
			if strings.EqualFold(strings.TrimSpace(f), "Origin") {
				return
			}
		}
	}
	h.Add("Vary", "Origin")
}

// preflight answers an OPTIONS request for an endpoint taking methods
// (e.g. "POST"): 204 with the allowed methods and headers, 403 for a
// refused origin. A requested header or method that is not allowed is
// counted; the answer lists what is allowed and the browser refuses.
func (p *cors) preflight(w http.ResponseWriter, r *http.Request, methods ...string) {
	if !p.answer(w, r) {
		http.Error(w, "origin not allowed", http.StatusForbidden)
		return
	}
	if m := r.Header.Get("Access-Control-Request-Method"); m != "" && !slices.Contains(methods, m) {
		p.refused.WithLabelValues("method").Inc()
	}
	for _, hd := range r.Header.Values("Access-Control-Request-Headers") {
		for n := range strings.SplitSeq(hd, ",") {
			if n = strings.TrimSpace(n); n != "" && !p.headers[strings.ToLower(n)] {
				p.refused.WithLabelValues("header").Inc()
				break
			}
		}
	}
	h := w.Header()
	h.Set("Access-Control-Allow-Methods", strings.Join(append(slices.Clone(methods), http.MethodOptions), ", "))
	h.Set("Access-Control-Allow-Headers", p.allowList)
	h.Set("Access-Control-Max-Age", p.maxAge)
	h.Add("Vary", "Access-Control-Request-Method")
	h.Add("Vary", "Access-Control-Request-Headers")
	w.WriteHeader(http.StatusNoContent)
}
