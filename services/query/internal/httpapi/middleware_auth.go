package httpapi

import (
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"strings"
)

// Auth accepts requests whose Authorization header is "Bearer <token>" for
// one of the configured tokens, compared in constant time (over SHA-256
// digests so that token lengths do not leak either); others get 401.
type Auth struct {
	digests [][32]byte
}

// NewAuth returns an Auth for tokens (empty tokens are ignored).
func NewAuth(tokens []string) *Auth {
	a := &Auth{}
	for _, t := range tokens {
		if t = strings.TrimSpace(t); t != "" {
			a.digests = append(a.digests, sha256.Sum256([]byte(t)))
		}
	}
	return a
}

// Wrap returns next guarded by the token check.
func (a *Auth) Wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !a.allowed(r.Header.Get("Authorization")) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="cem"`)
			writeError(w, http.StatusUnauthorized, "unauthorized", "a valid bearer token is required")
			return
		}
		next.ServeHTTP(w, r)
	})
}

func (a *Auth) allowed(header string) bool {
	scheme, tok, ok := strings.Cut(header, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || tok == "" {
		return false
	}
	d := sha256.Sum256([]byte(strings.TrimSpace(tok)))
	match := 0
	for _, want := range a.digests {
		match |= subtle.ConstantTimeCompare(d[:], want[:])
	}
	return match == 1
}
