package journey

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/cemhq/cem/services/query/internal/apierr"
	"github.com/cemhq/cem/services/query/internal/chstore"
)

// MaxIDLength bounds an id, email or name accepted from a request (bytes).
const MaxIDLength = 512

// Resolver maps ids and traits to canonical customers.
type Resolver struct {
	st *chstore.Store
}

// NewResolver returns a Resolver reading st.
func NewResolver(st *chstore.Store) *Resolver { return &Resolver{st: st} }

// CheckID validates an id-like parameter.
func CheckID(param, v string) error {
	switch {
	case strings.TrimSpace(v) == "":
		return apierr.BadParam(param, "must not be empty")
	case len(v) > MaxIDLength:
		return apierr.BadParam(param, "longer than %d bytes", MaxIDLength)
	case !utf8.ValidString(v):
		return apierr.BadParam(param, "not valid UTF-8")
	}
	return nil
}

// Canonical returns the canonical customer id of id: its current owner in
// identities, else id itself when it is a customer id in customer_ids or
// events carry it as customer key. found is
// false when cem never saw id.
func (r *Resolver) Canonical(ctx context.Context, id string) (customer string, found bool, err error) {
	if err := CheckID("id", id); err != nil {
		return "", false, err
	}
	var owner string
	var n uint64
	q := fmt.Sprintf("SELECT argMax(customer_id, version), count() FROM %s.identities WHERE id = ?", r.st.DB())
	if err := r.st.Row(ctx, q, []any{id}, &owner, &n); err != nil {
		return "", false, fmt.Errorf("resolve id: %w", err)
	}
	if n > 0 && owner != "" {
		return owner, true, nil
	}
	// A customer id known only through customer_ids, or an id that was
	// never linked but has events of its own, is its own customer.
	// ifNull: current ClickHouse types a scalar subquery Nullable (NULL
	// when it has no row), 18.16 does not; the sum stays UInt64 on both.
	q = fmt.Sprintf(`SELECT ifNull((SELECT count() FROM (SELECT 1 FROM %[1]s.customer_ids WHERE customer_id = ? AND deleted = 0 LIMIT 1)), 0)
 + ifNull((SELECT count() FROM (SELECT 1 FROM %[1]s.events WHERE customer_key = ? LIMIT 1)), 0)`, r.st.DB())
	if err := r.st.Row(ctx, q, []any{id, id}, &n); err != nil {
		return "", false, fmt.Errorf("resolve id: %w", err)
	}
	return id, n > 0, nil
}

// IDs returns every id linked to the canonical customer, sorted: the
// customer id itself, known (ids the caller resolved to this customer) and
// the customer's ids in customer_ids, the processor's index by customer.
func (r *Resolver) IDs(ctx context.Context, customer string, known ...string) ([]string, error) {
	q := fmt.Sprintf(`SELECT id FROM %s.customer_ids FINAL WHERE customer_id = ? AND deleted = 0`, r.st.DB())
	set := map[string]bool{customer: true}
	for _, id := range known {
		set[id] = true
	}
	err := r.st.Select(ctx, func(rows driver.Rows) error {
		var id string
		if err := rows.Scan(&id); err != nil {
			return err
		}
		set[id] = true
		return nil
	}, q, customer)
	if err != nil {
		return nil, fmt.Errorf("customer ids: %w", err)
	}
	out := make([]string, 0, len(set))
	for id := range set {
		out = append(out, id)
	}
	slices.Sort(out)
	return out, nil
}

// PersonTraits is the SQL condition on events whose traits describe the
// person: identify calls (as in the scorer's profile). A group call's traits
// describe the account (the company's name and e-mail): they stay on the
// group and never overwrite the person's traits or match a person search.
const PersonTraits = "type = 'identify' AND traits != '' AND traits != '{}'"

// Trait selects a trait search.
type Trait string

// Searchable traits.
const (
	TraitEmail Trait = "email"
	TraitName  Trait = "name"
)

// ByTrait returns the canonical customers whose identify traits match value
// (case-insensitive, exact), at most limit of them, sorted.
func (r *Resolver) ByTrait(ctx context.Context, t Trait, value string, limit int) ([]string, error) {
	if err := CheckID(string(t), value); err != nil {
		return nil, err
	}
	var cond string
	var args []any
	switch t {
	case TraitEmail:
		cond = "lowerUTF8(visitParamExtractString(traits, 'email')) = lowerUTF8(?)"
		args = []any{value}
	case TraitName:
		cond = `(lowerUTF8(visitParamExtractString(traits, 'name')) = lowerUTF8(?)
 OR lowerUTF8(concat(visitParamExtractString(traits, 'firstName'), ' ', visitParamExtractString(traits, 'lastName'))) = lowerUTF8(?))`
		args = []any{value, value}
	default:
		return nil, apierr.BadParam("trait", "unknown trait %q", t)
	}
	src := r.st.CustomerEvents(nil, PersonTraits+" AND "+cond, false, "")
	q := fmt.Sprintf("SELECT DISTINCT customer FROM %s ORDER BY customer LIMIT %d", src, limit)
	var out []string
	err := r.st.Select(ctx, func(rows driver.Rows) error {
		var c string
		if err := rows.Scan(&c); err != nil {
			return err
		}
		out = append(out, c)
		return nil
	}, q, args...)
	if err != nil {
		return nil, fmt.Errorf("search %s: %w", t, err)
	}
	return out, nil
}
