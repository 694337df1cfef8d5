package identity

import "strings"

// DefaultJunk is the default list of ids that are never linked.
var DefaultJunk = []string{"", "null", "undefined", "0", "-1", "guest", "anonymous", "unknown", "none", "nan", "n/a", "test"}

// Junk is a set of ids that must never be linked.
type Junk map[string]struct{}

// NewJunk returns the set of ids (compared trimmed and case-insensitively).
func NewJunk(ids []string) Junk {
	j := Junk{"": {}}
	for _, id := range ids {
		j[strings.ToLower(strings.TrimSpace(id))] = struct{}{}
	}
	return j
}

// Is reports whether id is junk.
func (j Junk) Is(id string) bool {
	_, ok := j[strings.ToLower(strings.TrimSpace(id))]
	return ok
}
