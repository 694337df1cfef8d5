package gdpr

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"regexp"
	"slices"
	"strings"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/cemhq/cem/services/query/internal/chstore"
)

// PIIKeyword is the JSON Schema annotation that declares an event property
// to hold a person's identity: "x-cem-pii": "email", "user_id" or "phone"
// on a top-level property of schemas/events/<event>.json. An erasure
// redacts such a property in every event (of any customer) whose value is
// one of the erased person's ids, e-mails or phone numbers.
const PIIKeyword = "x-cem-pii"

// PIIField is an event property declared to hold a person's identity.
type PIIField struct {
	Event    string `json:"event"`
	Property string `json:"property"`
	Kind     string `json:"kind"`
}

// Redaction counts the rows whose property an erasure redacted.
type Redaction struct {
	Table    string `json:"table"`
	Event    string `json:"event"`
	Property string `json:"property"`
	Rows     uint64 `json:"rows"`
}

// Redacted replaces a redacted property's value.
const Redacted = "[erased]"

var propName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,63}$`)

// DeclaredPII reads the PIIKeyword annotations of the event schemas in
// fsys (schemas.Events: events/*.json, the event name is the title).
func DeclaredPII(fsys fs.FS) ([]PIIField, error) {
	files, err := fs.Glob(fsys, "events/*.json")
	if err != nil {
		return nil, fmt.Errorf("read event schemas: %w", err)
	}
	var out []PIIField
	for _, f := range files {
		b, err := fs.ReadFile(fsys, f)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", f, err)
		}
		var doc struct {
			Title      string `json:"title"`
			Properties map[string]map[string]any
		}
		if err := json.Unmarshal(b, &doc); err != nil {
			return nil, fmt.Errorf("read %s: %w", f, err)
		}
		for name, p := range doc.Properties {
			kind, ok := p[PIIKeyword].(string)
			if !ok {
				continue
			}
			if !propName.MatchString(name) || !slices.Contains([]string{"email", "user_id", "phone"}, kind) {
				return nil, fmt.Errorf("%s: %s of %q: want a plain property name and email, user_id or phone", f, PIIKeyword, name)
			}
			out = append(out, PIIField{Event: doc.Title, Property: name, Kind: kind})
		}
	}
	slices.SortFunc(out, func(a, b PIIField) int {
		return strings.Compare(a.Event+"\x00"+a.Property, b.Event+"\x00"+b.Property)
	})
	return out, nil
}

// identityValues are the values that identify the person of ids: the ids
// and the e-mails and phone numbers of their traits, lower-cased (read
// before their rows are deleted).
func (e *Eraser) identityValues(ctx context.Context, ts []table, ids []string) ([]string, error) {
	vals := map[string]bool{}
	for _, id := range ids {
		vals[strings.ToLower(id)] = true
	}
	for _, t := range ts {
		if !t.Props {
			continue
		}
		cond, args := t.cond(ids)
		q := fmt.Sprintf(`SELECT DISTINCT lower(visitParamExtractString(traits, 'email')), visitParamExtractString(traits, 'phone')
FROM %s.%s WHERE (%s) AND traits != ''`, e.st.DB(), t.Name, cond)
		err := e.st.Select(ctx, func(rows driver.Rows) error {
			var mail, phone string
			if err := rows.Scan(&mail, &phone); err != nil {
				return err
			}
			for _, v := range []string{mail, strings.ToLower(phone)} {
				if v != "" && !e.opts.Junk.Is(v) {
					vals[v] = true
				}
			}
			return nil
		}, q, args...)
		if err != nil {
			return nil, fmt.Errorf("read identity traits of %s: %w", t.Name, err)
		}
	}
	out := make([]string, 0, len(vals))
	for v := range vals {
		out = append(out, v)
	}
	slices.Sort(out)
	return out, nil
}

// redact replaces every declared identity property that holds one of vals
// in the raw event tables, in any customer's events.
func (e *Eraser) redact(ctx context.Context, ts []table, vals []string) ([]Redaction, error) {
	out := []Redaction{}
	for _, t := range ts {
		if !t.Props {
			continue
		}
		for _, f := range e.opts.PII {
			where := fmt.Sprintf("event = ? AND lower(visitParamExtractString(properties, '%s')) IN ?", f.Property)
			args := []any{f.Event, chstore.Set(vals)}
			var n uint64
			if err := e.st.Row(ctx, fmt.Sprintf("SELECT count() FROM %s.%s WHERE %s", e.st.DB(), t.Name, where), args, &n); err != nil {
				return nil, fmt.Errorf("count %s.%s in %s: %w", f.Event, f.Property, t.Name, err)
			}
			if n == 0 {
				continue
			}
			// The value is a JSON string (the schema says so); the pattern
			// takes it with its escapes.
			set := fmt.Sprintf(`properties = replaceRegexpAll(properties, '"%s"\\s*:\\s*"([^"\\\\]|\\\\.)*"', '"%s":"%s"')`, f.Property, f.Property, Redacted)
			q := fmt.Sprintf("ALTER TABLE %s.%s %s UPDATE %s WHERE %s", e.st.DB(), t.Local, t.OnCluster, set, where)
			if err := e.st.Exec(ctx, q, args...); err != nil {
				return nil, fmt.Errorf("redact %s.%s in %s: %w", f.Event, f.Property, t.Name, err)
			}
			if err := e.await(ctx, t.Local); err != nil {
				return nil, err
			}
			out = append(out, Redaction{Table: t.Name, Event: f.Event, Property: f.Property, Rows: n})
		}
	}
	return out, nil
}
