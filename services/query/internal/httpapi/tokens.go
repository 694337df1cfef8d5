package httpapi

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// Scope is a right a query token grants.
type Scope string

// The scopes. A token configured without scopes has all of them.
const (
	// ScopeRead: every analysis and customer read (profiles, timelines,
	// funnels, segments, alerts).
	ScopeRead Scope = "read"
	// ScopeExport: GDPR exports of a customer's data.
	ScopeExport Scope = "export"
	// ScopeErase: GDPR erasures.
	ScopeErase Scope = "erase"
	// ScopeWrite: changes to operational records (for example alert cases).
	ScopeWrite Scope = "write"
	// ScopeAdmin grants every scope.
	ScopeAdmin Scope = "admin"
)

var allScopes = []Scope{ScopeRead, ScopeExport, ScopeErase, ScopeWrite, ScopeAdmin}

// Token is one configured bearer token.
type Token struct {
	// Name identifies the token in logs and the audit log; never the
	// secret itself.
	Name   string
	secret string
	scopes []Scope
}

// Allows reports whether t grants s (admin grants everything).
func (t Token) Allows(s Scope) bool {
	return slices.Contains(t.scopes, ScopeAdmin) || slices.Contains(t.scopes, s)
}

// Scopes are the token's scopes.
func (t Token) Scopes() []Scope { return slices.Clone(t.scopes) }

var tokenName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$`)

// MinTokenLength is the shortest accepted token secret.
const MinTokenLength = 16

// ParseTokens parses CEM_QUERY_TOKENS entries. An entry is either a bare
// token (the format before scopes existed: full access, named
// "token-<first 8 hex digits of its SHA-256>") or "name:token" (full access)
// or "name:token:scope+scope..." with scopes read, export, erase, write and
// admin. A bare token cannot contain ':'. Empty entries are ignored.
func ParseTokens(entries []string) ([]Token, error) {
	var out []Token
	names := map[string]bool{}
	for i, e := range entries {
		if e = strings.TrimSpace(e); e == "" {
			continue
		}
		t, err := parseToken(e)
		if err != nil {
			return nil, fmt.Errorf("token %d: %w", i+1, err)
		}
		if names[t.Name] {
			return nil, fmt.Errorf("token %d: name %q is used twice", i+1, t.Name)
		}
		names[t.Name] = true
		out = append(out, t)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("at least one token is required")
	}
	return out, nil
}

func parseToken(e string) (Token, error) {
	parts := strings.Split(e, ":")
	if len(parts) > 3 {
		return Token{}, fmt.Errorf("want token, name:token or name:token:scopes")
	}
	t := Token{secret: parts[0], scopes: allScopes}
	if len(parts) == 1 {
		d := sha256.Sum256([]byte(t.secret))
		t.Name = "token-" + hex.EncodeToString(d[:4])
	} else {
		t.Name, t.secret = parts[0], parts[1]
		if !tokenName.MatchString(t.Name) {
			return Token{}, fmt.Errorf("name %q: want letters, digits, '_', '.', '-' (at most 64)", t.Name)
		}
	}
	if len(t.secret) < MinTokenLength {
		return Token{}, fmt.Errorf("%s: every token needs at least %d characters", t.Name, MinTokenLength)
	}
	if len(parts) == 3 {
		t.scopes = nil
		for _, s := range strings.Split(parts[2], "+") {
			sc := Scope(strings.ToLower(strings.TrimSpace(s)))
			if !slices.Contains(allScopes, sc) {
				return Token{}, fmt.Errorf("%s: unknown scope %q (want read, export, erase, write, admin)", t.Name, s)
			}
			if !slices.Contains(t.scopes, sc) {
				t.scopes = append(t.scopes, sc)
			}
		}
	}
	return t, nil
}
