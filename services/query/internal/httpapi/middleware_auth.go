package httpapi

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"strings"
)

// Auth accepts requests whose Authorization header is "Bearer <token>" for
// one of the configured tokens, compared in constant time (over SHA-256
// digests so that token lengths do not leak either); others get 401. A
// known token without the route's scope gets 403.
type Auth struct {
	tokens  []Token
	digests [][32]byte
}

// NewAuth returns an Auth for tokens (see ParseTokens).
func NewAuth(tokens []Token) *Auth {
	a := &Auth{tokens: tokens}
	for _, t := range tokens {
		a.digests = append(a.digests, sha256.Sum256([]byte(t.secret)))
	}
	return a
}

type tokenKey struct{}

// TokenFrom returns the token that authenticated the request of ctx.
func TokenFrom(ctx context.Context) (Token, bool) {
	t, ok := ctx.Value(tokenKey{}).(Token)
	return t, ok
}

// Wrap returns next guarded by the token check and scope; the token is in
// the request's context (TokenFrom).
func (a *Auth) Wrap(scope Scope, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t, ok := a.match(r.Header.Get("Authorization"))
		if !ok {
			w.Header().Set("WWW-Authenticate", `Bearer realm="cem"`)
			writeError(w, http.StatusUnauthorized, "unauthorized", "a valid bearer token is required")
			return
		}
		if !t.Allows(scope) {
			writeError(w, http.StatusForbidden, "forbidden", "this token lacks the "+string(scope)+" scope")
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), tokenKey{}, t)))
	})
}

// match finds the token of header, comparing against every token.
func (a *Auth) match(header string) (Token, bool) {
	scheme, tok, ok := strings.Cut(header, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || tok == "" {
		return Token{}, false
	}
	d := sha256.Sum256([]byte(strings.TrimSpace(tok)))
	found := -1
	for i, want := range a.digests {
		if subtle.ConstantTimeCompare(d[:], want[:]) == 1 {
			found = i
		}
	}
	if found < 0 {
		return Token{}, false
	}
	return a.tokens[found], true
}
