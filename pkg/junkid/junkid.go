package junkid

import "strings"

// Builtin is the built-in list. The empty (or blank) id is always junk.
var Builtin = []string{"null", "undefined", "0", "-1", "guest", "anonymous", "unknown", "none", "nan", "n/a", "test"}

// Set is a set of junk ids, compared trimmed and case-insensitively. The
// zero value holds only the empty id.
type Set struct{ m map[string]struct{} }

// New returns Builtin plus extra (e.g. CEM_JUNK_IDS).
func New(extra ...string) Set {
	s := Set{m: map[string]struct{}{}}
	for _, id := range Builtin {
		s.m[id] = struct{}{}
	}
	for _, id := range extra {
		if id = norm(id); id != "" {
			s.m[id] = struct{}{}
		}
	}
	return s
}

// Is reports whether id is junk.
func (s Set) Is(id string) bool {
	id = norm(id)
	if id == "" {
		return true
	}
	_, ok := s.m[id]
	return ok
}

// List is the set's ids, for documentation and error messages.
func (s Set) List() []string {
	out := make([]string, 0, len(s.m))
	for id := range s.m {
		out = append(out, id)
	}
	return out
}

func norm(id string) string { return strings.ToLower(strings.TrimSpace(id)) }
