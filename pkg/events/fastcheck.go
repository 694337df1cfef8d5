package events

import (
	"encoding/json"
	"math/big"
	"strconv"
	"unicode/utf8"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// check is a compiled jsonschema.Schema that answers one question without
// allocating: is this value valid? It is built from the schema the library
// compiled (so it reads the same JSON Schema files and cannot drift from
// them) and it only knows the keywords our schemas use; a schema with any
// other keyword gets no check and is always validated by the library.
//
// A check never produces an error message: when it does not say "valid",
// the library validates the value and its error is the one reported. So a
// check only has to be exact for the values it calls valid (and for the
// subschemas of if, not, anyOf and oneOf, where "invalid" matters too);
// whatever it is unsure about is "unknown".
type check struct {
	boolean *bool
	types   jsonTypes
	consts  *string
	enum    []string
	ref     *check
	allOf   []*check
	anyOf   []*check
	oneOf   []*check
	not     *check
	ifc     *check
	thenc   *check
	elsec   *check

	minProps, maxProps int // -1: none
	required           []string
	props              map[string]*check
	propList           []propCheck // props as a list
	additional         *check      // nil: any, unless noAdditional
	noAdditional       bool

	minItems, maxItems int // -1: none
	items              *check

	minLen, maxLen int // -1: none
	pattern        jsonschema.Regexp

	minimum, maximum, exclMinimum, exclMaximum *bound
}

// propCheck is the check of one named property.
type propCheck struct {
	name  string
	check *check
}

// bound is a numeric limit of a schema.
type bound struct {
	rat *big.Rat
	// i is the limit when it is an integer of int64 range (isInt).
	i     int64
	isInt bool
}

type verdict uint8

// and folds r into v, the verdict of checks that must all hold (invalid
// beats unknown beats valid); false once v is invalid.
func (v *verdict) and(r verdict) bool {
	if r == invalid || (r == unknown && *v == valid) {
		*v = r
	}
	return *v != invalid
}

const (
	valid verdict = iota
	invalid
	unknown
)

type jsonTypes uint8

const (
	tNull jsonTypes = 1 << iota
	tBoolean
	tNumber
	tInteger
	tString
	tArray
	tObject
)

var typeBits = map[string]jsonTypes{
	"null": tNull, "boolean": tBoolean, "number": tNumber, "integer": tInteger,
	"string": tString, "array": tArray, "object": tObject,
}

// compileCheck returns the check of s, or nil when s (or a schema it
// reaches) uses a keyword check does not implement.
func compileCheck(s *jsonschema.Schema) *check {
	c := &checkCompiler{done: map[*jsonschema.Schema]*check{}, bad: map[*jsonschema.Schema]bool{}}
	ch := c.compile(s)
	if c.failed {
		return nil
	}
	return ch
}

type checkCompiler struct {
	done   map[*jsonschema.Schema]*check
	bad    map[*jsonschema.Schema]bool
	failed bool
}

func (c *checkCompiler) fail() *check { c.failed = true; return nil }

func (c *checkCompiler) compile(s *jsonschema.Schema) *check {
	if s == nil {
		return nil
	}
	if ch, ok := c.done[s]; ok {
		return ch
	}
	if s.DraftVersion < 2019 || s.RecursiveRef != nil || s.DynamicRef != nil || s.Format != nil ||
		s.PropertyNames != nil || len(s.PatternProperties) > 0 || len(s.Dependencies) > 0 ||
		len(s.DependentRequired) > 0 || len(s.DependentSchemas) > 0 || s.UnevaluatedProperties != nil ||
		s.UniqueItems || s.Contains != nil || s.MinContains != nil || s.MaxContains != nil ||
		s.AdditionalItems != nil || len(s.PrefixItems) > 0 || s.UnevaluatedItems != nil ||
		s.ContentEncoding != nil || s.ContentMediaType != nil || s.ContentSchema != nil ||
		s.MultipleOf != nil || len(s.Extensions) > 0 {
		return c.fail()
	}
	ch := &check{boolean: s.Bool, minProps: -1, maxProps: -1, minItems: -1, maxItems: -1, minLen: -1, maxLen: -1}
	c.done[s] = ch // before recursing: schemas may refer to themselves
	if s.Types != nil {
		for _, t := range s.Types.ToStrings() {
			ch.types |= typeBits[t]
		}
	}
	if s.Const != nil {
		str, ok := (*s.Const).(string)
		if !ok {
			return c.fail()
		}
		ch.consts = &str
	}
	if s.Enum != nil {
		for _, v := range s.Enum.Values {
			str, ok := v.(string)
			if !ok {
				return c.fail()
			}
			ch.enum = append(ch.enum, str)
		}
		if ch.enum == nil {
			return c.fail()
		}
	}
	ch.ref = c.compile(s.Ref)
	ch.not = c.compile(s.Not)
	ch.ifc, ch.thenc, ch.elsec = c.compile(s.If), c.compile(s.Then), c.compile(s.Else)
	for _, l := range []struct {
		from []*jsonschema.Schema
		to   *[]*check
	}{{s.AllOf, &ch.allOf}, {s.AnyOf, &ch.anyOf}, {s.OneOf, &ch.oneOf}} {
		for _, sub := range l.from {
			*l.to = append(*l.to, c.compile(sub))
		}
	}
	opt := func(p *int) int {
		if p == nil {
			return -1
		}
		return *p
	}
	ch.minProps, ch.maxProps = opt(s.MinProperties), opt(s.MaxProperties)
	ch.minItems, ch.maxItems = opt(s.MinItems), opt(s.MaxItems)
	ch.minLen, ch.maxLen = opt(s.MinLength), opt(s.MaxLength)
	ch.required = s.Required
	if len(s.Properties) > 0 {
		ch.props = make(map[string]*check, len(s.Properties))
		for k, sub := range s.Properties {
			ch.props[k] = c.compile(sub)
			ch.propList = append(ch.propList, propCheck{k, ch.props[k]})
		}
	}
	switch a := s.AdditionalProperties.(type) {
	case nil:
	case bool:
		ch.noAdditional = !a
	case *jsonschema.Schema:
		ch.additional = c.compile(a)
	default:
		return c.fail()
	}
	switch it := s.Items.(type) {
	case nil:
	case *jsonschema.Schema:
		ch.items = c.compile(it)
	default:
		return c.fail()
	}
	if s.Items2020 != nil {
		if ch.items != nil {
			return c.fail()
		}
		ch.items = c.compile(s.Items2020)
	}
	ch.pattern = s.Pattern
	ch.minimum, ch.maximum = newBound(s.Minimum), newBound(s.Maximum)
	ch.exclMinimum, ch.exclMaximum = newBound(s.ExclusiveMinimum), newBound(s.ExclusiveMaximum)
	return ch
}

func newBound(r *big.Rat) *bound {
	if r == nil {
		return nil
	}
	b := &bound{rat: r}
	if r.IsInt() && r.Num().IsInt64() {
		b.i, b.isInt = r.Num().Int64(), true
	}
	return b
}

// maxCheckDepth bounds the recursion of eval (a schema that refers to
// itself without descending into the value would not end).
const maxCheckDepth = 64

// valid reports whether v (a value as decodeDoc returns it) is certainly
// valid against the schema.
func (ch *check) valid(v any) bool { return ch.eval(v, 0) == valid }

func (ch *check) eval(v any, depth int) verdict {
	if depth > maxCheckDepth {
		return unknown
	}
	depth++
	if ch.boolean != nil {
		if *ch.boolean {
			return valid
		}
		return invalid
	}
	result := valid
	// and folds a sub-verdict into result: invalid wins over unknown.
	t := typeOfValue(v)
	if t == 0 {
		return unknown
	}
	if ch.types != 0 && ch.types&t == 0 {
		if ch.types&tInteger == 0 || t != tNumber {
			return invalid
		}
		switch isIntegerNumber(v.(json.Number)) {
		case invalid:
			return invalid
		case unknown:
			result.and(unknown)
		}
	}
	if ch.consts != nil {
		s, ok := v.(string)
		switch {
		case !ok:
			result.and(unknown)
		case s != *ch.consts:
			return invalid
		}
	}
	if ch.enum != nil {
		s, ok := v.(string)
		if !ok {
			return invalid // every value is a string: the type cannot match
		}
		found := false
		for _, e := range ch.enum {
			if e == s {
				found = true
				break
			}
		}
		if !found {
			return invalid
		}
	}
	if ch.ref != nil {
		if !result.and(ch.ref.eval(v, depth)) {
			return invalid
		}
	}
	switch v := v.(type) {
	case map[string]any:
		result.and(ch.object(v, depth))
	case []any:
		result.and(ch.array(v, depth))
	case string:
		result.and(ch.str(v))
	case json.Number:
		result.and(ch.number(v))
	}
	if result == invalid {
		return invalid
	}
	for _, sub := range ch.allOf {
		result.and(sub.evalOrUnknown(v, depth))
	}
	if ch.not != nil {
		switch ch.not.eval(v, depth) {
		case valid:
			return invalid
		case unknown:
			result.and(unknown)
		}
	}
	if len(ch.anyOf) > 0 {
		r := invalid
		for _, sub := range ch.anyOf {
			switch sub.evalOrUnknown(v, depth) {
			case valid:
				r = valid
			case unknown:
				if r == invalid {
					r = unknown
				}
			}
			if r == valid {
				break
			}
		}
		result.and(r)
	}
	if len(ch.oneOf) > 0 {
		n, unsure := 0, false
		for _, sub := range ch.oneOf {
			switch sub.evalOrUnknown(v, depth) {
			case valid:
				n++
			case unknown:
				unsure = true
			}
		}
		switch {
		case n > 1:
			return invalid
		case unsure:
			result.and(unknown)
		case n == 0:
			return invalid
		}
	}
	if ch.ifc != nil {
		switch ch.ifc.eval(v, depth) {
		case valid:
			result.and(ch.thenc.evalOrValid(v, depth))
		case invalid:
			result.and(ch.elsec.evalOrValid(v, depth))
		default:
			result.and(unknown)
		}
	}
	return result
}

// evalOrUnknown is eval for a subschema that may have no check (nil).
func (ch *check) evalOrUnknown(v any, depth int) verdict {
	if ch == nil {
		return unknown
	}
	return ch.eval(v, depth)
}

// evalOrValid is eval for then/else, which may be absent.
func (ch *check) evalOrValid(v any, depth int) verdict {
	if ch == nil {
		return valid
	}
	return ch.eval(v, depth)
}

func (ch *check) object(m map[string]any, depth int) verdict {
	if (ch.minProps >= 0 && len(m) < ch.minProps) || (ch.maxProps >= 0 && len(m) > ch.maxProps) {
		return invalid
	}
	for _, r := range ch.required {
		if _, ok := m[r]; !ok {
			return invalid
		}
	}
	result := valid
	if !ch.noAdditional && ch.additional == nil && len(m) <= smallObject {
		// Only the named properties have rules: look each up in the
		// object, which is cheap in a small map, instead of iterating it.
		for _, p := range ch.propList {
			pv, ok := m[p.name]
			if !ok {
				continue
			}
			if p.check == nil {
				return unknown
			}
			if !result.and(p.check.eval(pv, depth)) {
				return invalid
			}
		}
		return result
	}
	for k, pv := range m {
		sub, ok := ch.props[k]
		switch {
		case ok && sub == nil:
			return unknown // property schema without a check (cannot happen: compile failed)
		case ok:
		case ch.noAdditional:
			return invalid
		case ch.additional != nil:
			sub = ch.additional
		default:
			continue
		}
		if !result.and(sub.eval(pv, depth)) {
			return invalid
		}
	}
	return result
}

// smallObject is the size up to which a Go map is one group of slots,
// searched without hashing.
const smallObject = 8

func (ch *check) array(a []any, depth int) verdict {
	if (ch.minItems >= 0 && len(a) < ch.minItems) || (ch.maxItems >= 0 && len(a) > ch.maxItems) {
		return invalid
	}
	if ch.items == nil {
		return valid
	}
	result := valid
	for _, e := range a {
		if !result.and(ch.items.eval(e, depth)) {
			return invalid
		}
	}
	return result
}

func (ch *check) str(s string) verdict {
	if ch.minLen >= 0 || ch.maxLen >= 0 {
		n := utf8.RuneCountInString(s)
		if (ch.minLen >= 0 && n < ch.minLen) || (ch.maxLen >= 0 && n > ch.maxLen) {
			return invalid
		}
	}
	if ch.pattern != nil && !ch.pattern.MatchString(s) {
		return invalid
	}
	return valid
}

func (ch *check) number(n json.Number) verdict {
	if ch.minimum == nil && ch.maximum == nil && ch.exclMinimum == nil && ch.exclMaximum == nil {
		return valid
	}
	for _, b := range [...]struct {
		b  *bound
		ok func(cmp int) bool
	}{
		{ch.minimum, func(c int) bool { return c >= 0 }},
		{ch.maximum, func(c int) bool { return c <= 0 }},
		{ch.exclMinimum, func(c int) bool { return c > 0 }},
		{ch.exclMaximum, func(c int) bool { return c < 0 }},
	} {
		if b.b == nil {
			continue
		}
		c, ok := compareNumber(n, b.b)
		if !ok {
			return unknown
		}
		if !b.ok(c) {
			return invalid
		}
	}
	return valid
}

// compareNumber compares n with b (-1, 0, +1) as the library does (exact
// rationals), with a fast path for small integers.
func compareNumber(n json.Number, b *bound) (int, bool) {
	if b.isInt && isSmallInt(string(n)) {
		i, err := strconv.ParseInt(string(n), 10, 64)
		if err == nil {
			switch {
			case i < b.i:
				return -1, true
			case i > b.i:
				return 1, true
			}
			return 0, true
		}
	}
	r, ok := new(big.Rat).SetString(string(n))
	if !ok {
		return 0, false
	}
	return r.Cmp(b.rat), true
}

// isSmallInt reports whether s is an optional minus and 1-18 digits.
func isSmallInt(s string) bool {
	if len(s) > 0 && s[0] == '-' {
		s = s[1:]
	}
	if len(s) == 0 || len(s) > 18 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// isIntegerNumber tells whether n is an integer: certain for plain digit
// literals, unknown for fractions and exponents (the library decides).
func isIntegerNumber(n json.Number) verdict {
	s := string(n)
	if len(s) > 0 && s[0] == '-' {
		s = s[1:]
	}
	if s == "" {
		return unknown
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return unknown
		}
	}
	return valid
}

// typeOfValue is the JSON type of a decoded value, 0 for a Go type that
// decodeDoc does not produce.
func typeOfValue(v any) jsonTypes {
	switch v.(type) {
	case nil:
		return tNull
	case bool:
		return tBoolean
	case json.Number:
		return tNumber
	case string:
		return tString
	case []any:
		return tArray
	case map[string]any:
		return tObject
	}
	return 0
}
