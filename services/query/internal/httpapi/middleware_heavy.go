package httpapi

import (
	"fmt"
	"net/http"
	"strconv"
	"sync"
)

// heavyRetryAfter is the Retry-After of a 429 for a heavy analysis, in
// seconds (such analyses take seconds).
const heavyRetryAfter = 5

// heavyLimit bounds the heavy analyses (whole-range scans: funnels, paths,
// retention, journeys, GDPR exports) one token runs at once. Beyond the
// bound a request gets 429 with Retry-After at once, so that one token (a
// script in a loop, a leaked token) cannot occupy ClickHouse's pool for
// everyone. It is safe for concurrent use.
type heavyLimit struct {
	max     int
	mu      sync.Mutex
	running map[string]int // by token name
}

func newHeavyLimit(perToken int) *heavyLimit {
	return &heavyLimit{max: perToken, running: map[string]int{}}
}

// wrap guards next, which must run after Auth (the token is in the
// request's context). A limit of 0 or less is off.
func (l *heavyLimit) wrap(next http.Handler) http.Handler {
	if l.max <= 0 {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t, _ := TokenFrom(r.Context())
		if !l.acquire(t.Name) {
			w.Header().Set("Retry-After", strconv.Itoa(heavyRetryAfter))
			writeError(w, http.StatusTooManyRequests, "too_many_requests", fmt.Sprintf(
				"this token already runs %d heavy analyses (funnels, paths, retention, journeys, exports) at once; retry when one has finished", l.max))
			return
		}
		defer l.release(t.Name)
		next.ServeHTTP(w, r)
	})
}

func (l *heavyLimit) acquire(token string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.running[token] >= l.max {
		return false
	}
	l.running[token]++
	return true
}

func (l *heavyLimit) release(token string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.running[token]--; l.running[token] <= 0 {
		delete(l.running, token)
	}
}
