package scores

import (
	"slices"

	"github.com/cemhq/cem/pkg/suppress"
)

// withoutSuppressed drops the results, snapshots and alerts of customers
// erased on request: a customer is erased when its id or any id of its
// facts is suppressed by erased. It returns how many customers it dropped.
func withoutSuppressed(erased suppress.Checker, facts []*Facts, results, snaps []*Result, alerts []Alert) ([]*Result, []*Result, []Alert, int) {
	gone := map[string]bool{}
	for _, f := range facts {
		if erased.Suppressed(f.CustomerID) || slices.ContainsFunc(f.IDs, erased.Suppressed) {
			gone[f.CustomerID] = true
		}
	}
	for _, r := range results {
		if erased.Suppressed(r.CustomerID) {
			gone[r.CustomerID] = true
		}
	}
	for _, a := range alerts {
		if erased.Suppressed(a.CustomerID) {
			gone[a.CustomerID] = true
		}
	}
	if len(gone) == 0 {
		return results, snaps, alerts, 0
	}
	drop := func(r *Result) bool { return gone[r.CustomerID] }
	results = slices.DeleteFunc(slices.Clone(results), drop)
	snaps = slices.DeleteFunc(slices.Clone(snaps), drop)
	alerts = slices.DeleteFunc(slices.Clone(alerts), func(a Alert) bool { return gone[a.CustomerID] })
	return results, snaps, alerts, len(gone)
}
