package httpapi

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
)

// A token runs at most max heavy analyses at once: one more gets 429 with
// Retry-After and a JSON error; another token is not affected; a finished
// analysis frees its slot.
func TestHeavyLimitPerToken(t *testing.T) {
	const max = 2
	release := make(chan struct{})
	started := make(chan struct{}, 10)
	l := newHeavyLimit(max)
	h := l.wrap(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		started <- struct{}{}
		<-release
		w.WriteHeader(http.StatusOK)
	}))
	call := func(token string) *httptest.ResponseRecorder {
		r := httptest.NewRequest("GET", "/api/v1/paths?anchor=x", nil)
		r = r.WithContext(context.WithValue(r.Context(), tokenKey{}, Token{Name: token}))
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w
	}
	var wg sync.WaitGroup
	codes := make(chan int, 10)
	for range max {
		wg.Go(func() { codes <- call("script").Code })
	}
	for range max {
		<-started
	}
	w := call("script")
	if w.Code != http.StatusTooManyRequests || w.Header().Get("Retry-After") == "" {
		t.Fatalf("third concurrent analysis: %d, Retry-After %q", w.Code, w.Header().Get("Retry-After"))
	}
	var body struct {
		Error struct{ Code, Message string }
	}
	if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil || body.Error.Code != "too_many_requests" {
		t.Fatalf("429 body %q: %v", w.Body.String(), err)
	}
	wg.Go(func() { codes <- call("analyst").Code }) // another token has its own slots
	<-started
	close(release)
	wg.Wait()
	close(codes)
	for c := range codes {
		if c != http.StatusOK {
			t.Fatalf("admitted analysis answered %d", c)
		}
	}
	if got := call("script").Code; got != http.StatusOK {
		t.Fatalf("after the others finished: %d", got)
	}
	if len(l.running) != 0 {
		t.Fatalf("slots leaked: %v", l.running)
	}
}
