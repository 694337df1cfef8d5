package events

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"golang.org/x/text/language"
	"golang.org/x/text/message"

	"github.com/cemhq/cem/schemas"
)

// Validator checks events against the JSON Schemas in schemas/events/: the
// envelope schema for every event, and the schema whose title is the event
// name for reserved track events. Unknown event names only need a valid
// envelope. A Validator is safe for concurrent use.
type Validator struct {
	envelope compiled
	// byType are the envelope's per-type schemas ($defs/<type>): selecting
	// by type in Go spares evaluating every if/then of the root schema.
	byType   map[string]compiled
	reserved map[string]compiled
}

// compiled is a schema and its allocation-free check (nil when the schema
// uses a keyword check does not know). A value the check calls valid is
// valid; any other value is validated by the library, which gives the
// error message.
type compiled struct {
	schema *jsonschema.Schema
	check  *check
}

func newCompiled(s *jsonschema.Schema) compiled { return compiled{schema: s, check: compileCheck(s)} }

// validFast reports whether the check proves v valid.
func (c compiled) validFast(v any) bool { return c.check != nil && c.check.valid(v) }

var (
	defaultValidator     *Validator
	defaultValidatorErr  error
	defaultValidatorOnce sync.Once
)

// DefaultValidator returns the Validator of the embedded schemas.
func DefaultValidator() (*Validator, error) {
	defaultValidatorOnce.Do(func() {
		sub, err := fs.Sub(schemas.Events, "events")
		if err != nil {
			defaultValidatorErr = err
			return
		}
		defaultValidator, defaultValidatorErr = NewValidator(sub)
	})
	return defaultValidator, defaultValidatorErr
}

// NewValidator compiles every *.json schema at the root of fsys. The schema
// with $id ending in /envelope.json is the envelope; every other schema must
// have a title naming the reserved event it describes.
func NewValidator(fsys fs.FS) (*Validator, error) {
	files, err := fs.Glob(fsys, "*.json")
	if err != nil {
		return nil, err
	}
	c := jsonschema.NewCompiler()
	type doc struct {
		id, title string
	}
	var docs []doc
	for _, f := range files {
		b, err := fs.ReadFile(fsys, f)
		if err != nil {
			return nil, err
		}
		v, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
		if err != nil {
			return nil, fmt.Errorf("schema %s: %w", f, err)
		}
		m, _ := v.(map[string]any)
		id, _ := m["$id"].(string)
		title, _ := m["title"].(string)
		if id == "" {
			return nil, fmt.Errorf("schema %s: no $id", f)
		}
		if err := c.AddResource(id, v); err != nil {
			return nil, fmt.Errorf("schema %s: %w", f, err)
		}
		docs = append(docs, doc{id, title})
	}
	val := &Validator{reserved: map[string]compiled{}, byType: map[string]compiled{}}
	for _, d := range docs {
		s, err := c.Compile(d.id)
		if err != nil {
			return nil, fmt.Errorf("schema %s: %w", d.id, err)
		}
		if strings.HasSuffix(d.id, "/envelope.json") {
			val.envelope = newCompiled(s)
			for _, t := range Types {
				ts, err := c.Compile(d.id + "#/$defs/" + string(t))
				if err != nil {
					return nil, fmt.Errorf("schema %s: type %s: %w", d.id, t, err)
				}
				val.byType[string(t)] = newCompiled(ts)
			}
			continue
		}
		if d.title == "" {
			return nil, fmt.Errorf("schema %s: no title naming its event", d.id)
		}
		val.reserved[d.title] = newCompiled(s)
	}
	if val.envelope.schema == nil {
		return nil, errors.New("schemas: no envelope.json")
	}
	return val, nil
}

// Reserved reports whether the validator has a schema for event name.
func (v *Validator) Reserved(name string) bool { _, ok := v.reserved[name]; return ok }

// Validate checks one event, given as the generic JSON value decoded by
// jsonschema.UnmarshalJSON (objects as map[string]any, numbers as
// json.Number). The error names the failing fields, for example
// `properties.score: must be <= 10 but found 11`.
func (v *Validator) Validate(doc any) error { return v.validate(doc, true) }

// validate is Validate, with the schema checks when fast is true.
func (v *Validator) validate(doc any, fast bool) error {
	m, _ := doc.(map[string]any)
	env := v.envelope
	if t, ok := m["type"].(string); ok {
		if s, ok := v.byType[t]; ok {
			env = s
		}
	}
	var (
		res      compiled
		reserved bool
		props    any
	)
	if m["type"] == string(TypeTrack) {
		name, _ := m["event"].(string)
		if res, reserved = v.reserved[name]; reserved {
			if props = m["properties"]; props == nil {
				props = map[string]any{}
			}
		}
	}
	if fast && env.validFast(doc) && (!reserved || res.validFast(props)) {
		return nil
	}
	if err := env.schema.Validate(doc); err != nil {
		return schemaError(err, "")
	}
	if !reserved {
		return nil
	}
	if err := res.schema.Validate(props); err != nil {
		return schemaError(err, "properties")
	}
	return nil
}

var printer = message.NewPrinter(language.English)

// schemaError turns a jsonschema error into a short one naming each failing
// field (at most three) by its dotted path under prefix.
func schemaError(err error, prefix string) error {
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return err
	}
	var leaves []*jsonschema.ValidationError
	var walk func(e *jsonschema.ValidationError)
	walk = func(e *jsonschema.ValidationError) {
		if len(e.Causes) == 0 {
			leaves = append(leaves, e)
			return
		}
		for _, c := range e.Causes {
			walk(c)
		}
	}
	walk(ve)
	seen := map[Issue]bool{}
	var parts []Issue
	for _, l := range leaves {
		msg := Issue{Field: path(prefix, l.InstanceLocation), Msg: l.ErrorKind.LocalizedString(printer)}
		if seen[msg] {
			continue
		}
		seen[msg] = true
		parts = append(parts, msg)
		if len(parts) == 3 {
			break
		}
	}
	return &FieldError{Reason: ReasonSchema, Issues: parts}
}

func path(prefix string, loc []string) string {
	parts := make([]string, 0, len(loc)+1)
	if prefix != "" {
		parts = append(parts, prefix)
	}
	parts = append(parts, loc...)
	return strings.Join(parts, ".")
}
