package scores

import (
	"fmt"
	"sort"
	"time"
)

// RFM segments. Customers without an order are SegmentProspect.
const (
	SegmentChampions   = "champions"
	SegmentLoyal       = "loyal"
	SegmentPotential   = "potential"
	SegmentAtRisk      = "at_risk"
	SegmentHibernating = "hibernating"
	SegmentLost        = "lost"
	SegmentProspect    = "prospect"
)

// Value is the RFM position of a customer among all buying customers.
// R, F and M are quintile scores 1-5 (5 best: most recent, most orders,
// most revenue); 0 for customers without an order.
type Value struct {
	RecencyDays int     `json:"recency_days"` // days since the last order; -1 without orders
	Frequency   int     `json:"frequency"`    // orders
	Monetary    float64 `json:"monetary"`     // revenue
	R           int     `json:"r"`
	F           int     `json:"f"`
	M           int     `json:"m"`
	Segment     string  `json:"segment"`
	// Tier is the monetary tier: top (M 5), high (4), medium (3), low (1-2),
	// none without orders.
	Tier   string `json:"tier"`
	Reason string `json:"reason"`
}

func rawValue(f *Facts, now time.Time) Value {
	v := Value{RecencyDays: -1, Frequency: len(f.Orders), Segment: SegmentProspect, Tier: "none", Reason: "no order yet"}
	v.Monetary = orderRevenue(f.Orders)
	if n := len(f.Orders); n > 0 {
		v.RecencyDays = daysBetween(f.Orders[n-1].At, now)
	}
	return v
}

// quintiles returns, for every value, 1 + floor(5 × (number of values that
// are worse) / n): the best fifth scores 5, ties share a score.
func quintiles(vals []float64, higherIsBetter bool) []int {
	n := len(vals)
	sorted := append([]float64(nil), vals...)
	sort.Float64s(sorted)
	out := make([]int, n)
	for i, v := range vals {
		var worse int
		if higherIsBetter {
			worse = sort.SearchFloat64s(sorted, v) // values < v
		} else {
			worse = n - sort.Search(n, func(j int) bool { return sorted[j] > v }) // values > v
		}
		out[i] = 1 + 5*worse/n
	}
	return out
}

// assignRFM scores the buying customers of rs against each other and sets
// their segment and tier.
func assignRFM(rs []*Result) {
	var buyers []*Result
	for _, r := range rs {
		if r.Value.Frequency > 0 {
			buyers = append(buyers, r)
		}
	}
	if len(buyers) == 0 {
		return
	}
	rec, freq, mon := make([]float64, len(buyers)), make([]float64, len(buyers)), make([]float64, len(buyers))
	for i, b := range buyers {
		rec[i], freq[i], mon[i] = float64(b.Value.RecencyDays), float64(b.Value.Frequency), b.Value.Monetary
	}
	qr, qf, qm := quintiles(rec, false), quintiles(freq, true), quintiles(mon, true)
	for i, b := range buyers {
		v := &b.Value
		v.R, v.F, v.M = qr[i], qf[i], qm[i]
		v.Segment = segment(v.R, v.F, v.M)
		v.Tier = map[int]string{5: "top", 4: "high", 3: "medium", 2: "low", 1: "low"}[v.M]
		v.Reason = fmt.Sprintf("R%d F%d M%d: last order %d days ago, %d orders, revenue %.2f", v.R, v.F, v.M, v.RecencyDays, v.Frequency, v.Monetary)
	}
}

// segment maps quintile scores to a segment with FM = round((F + M) / 2):
// champions R≥4 FM≥4; loyal R≥3 FM≥3; potential R≥3 FM≤2; at risk R≤2
// FM≥3; hibernating R=2 FM≤2; lost R=1 FM≤2.
func segment(r, f, m int) string {
	fm := (f + m + 1) / 2
	switch {
	case r >= 4 && fm >= 4:
		return SegmentChampions
	case r >= 3 && fm >= 3:
		return SegmentLoyal
	case r >= 3:
		return SegmentPotential
	case fm >= 3:
		return SegmentAtRisk
	case r == 2:
		return SegmentHibernating
	}
	return SegmentLost
}
