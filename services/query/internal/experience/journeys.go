package experience

import (
	"context"
	"slices"
	"strings"

	"github.com/cemhq/cem/services/query/internal/paths"
)

// PathComparison compares how often a journey precedes detractor and
// promoter answers.
type PathComparison struct {
	Steps []string `json:"steps"`
	// Detractors and Promoters count answers preceded by this journey.
	Detractors uint64 `json:"detractors"`
	Promoters  uint64 `json:"promoters"`
	// DetractorShare and PromoterShare are the counts over all answers of
	// that kind on the compared paths.
	DetractorShare float64 `json:"detractor_share"`
	PromoterShare  float64 `json:"promoter_share"`
}

// Journeys holds the journeys that precede detractor and promoter answers.
type Journeys struct {
	Detractors *paths.Result    `json:"detractors"`
	Promoters  *paths.Result    `json:"promoters"`
	Compared   []PathComparison `json:"compared"`
}

// CompareJourneys finds the top paths of q.Depth steps before "NPS Submitted"
// answers of detractors (0-6) and promoters (9-10) and compares them, most
// detractor-leaning first.
func CompareJourneys(ctx context.Context, pe *paths.Engine, q paths.Query) (*Journeys, error) {
	q.Anchor, q.Previous = "NPS Submitted", true
	q, err := pe.Resolve(ctx, q) // one range for both groups
	if err != nil {
		return nil, err
	}
	det, err := pe.RunWhere(ctx, q, "isNotNull(score) AND score <= 6", nil)
	if err != nil {
		return nil, err
	}
	pro, err := pe.RunWhere(ctx, q, "isNotNull(score) AND score >= 9", nil)
	if err != nil {
		return nil, err
	}
	byKey := map[string]*PathComparison{}
	var order []string
	add := func(ps []paths.Path, det bool) uint64 {
		var total uint64
		for _, p := range ps {
			k := strings.Join(p.Steps, "\x00")
			c, ok := byKey[k]
			if !ok {
				c = &PathComparison{Steps: p.Steps}
				byKey[k] = c
				order = append(order, k)
			}
			if det {
				c.Detractors += p.Occurrences
			} else {
				c.Promoters += p.Occurrences
			}
			total += p.Occurrences
		}
		return total
	}
	dt, pt := add(det.Paths, true), add(pro.Paths, false)
	out := &Journeys{Detractors: det, Promoters: pro, Compared: []PathComparison{}}
	for _, k := range order {
		c := byKey[k]
		if dt > 0 {
			c.DetractorShare = float64(c.Detractors) / float64(dt)
		}
		if pt > 0 {
			c.PromoterShare = float64(c.Promoters) / float64(pt)
		}
		out.Compared = append(out.Compared, *c)
	}
	slices.SortStableFunc(out.Compared, func(a, b PathComparison) int {
		da, db := a.DetractorShare-a.PromoterShare, b.DetractorShare-b.PromoterShare
		switch {
		case da > db:
			return -1
		case da < db:
			return 1
		}
		return 0
	})
	return out, nil
}
