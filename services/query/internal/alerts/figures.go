package alerts

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

// Figures are the case figures of the alerts raised in a period.
type Figures struct {
	Days int64 `json:"days"`
	// Open counts the cases not yet resolved or dismissed; ByState every
	// state.
	Open    int            `json:"open"`
	ByState map[string]int `json:"by_state"`
	Groups  []Group        `json:"groups"`
}

// Group are the figures of one reason and trigger channel ("none" for
// alerts without a trigger event).
type Group struct {
	Reason    string `json:"reason"`
	Channel   string `json:"channel"`
	Alerts    int    `json:"alerts"`
	Open      int    `json:"open"`
	Contacted int    `json:"contacted"`
	Resolved  int    `json:"resolved"`
	Dismissed int    `json:"dismissed"`
	// FirstContactHours and ResolutionHours are medians from the raise to
	// the first change to contacted / resolved (nil without any).
	FirstContactHours *float64 `json:"first_contact_hours"`
	ResolutionHours   *float64 `json:"resolution_hours"`
	// The loop's outcome for resolved cases: NPSAfter have an NPS answer
	// after the resolution, NPSRecovered of them 7 or more (no longer a
	// detractor); ExperienceCompared have a score snapshot before the
	// trigger (or on its day) and one after the resolution,
	// ExperienceRecovered of them a higher experience score after.
	NPSAfter            int `json:"nps_after"`
	NPSRecovered        int `json:"nps_recovered"`
	ExperienceCompared  int `json:"experience_compared"`
	ExperienceRecovered int `json:"experience_recovered"`
}

// maxFigureAlerts bounds the alerts one figures request reads.
const maxFigureAlerts = 200000

// Figures computes the case figures of the alerts raised within days.
func (r *Reader) Figures(ctx context.Context, days int64) (Figures, error) {
	list, err := r.list(ctx, []string{"raised_at >= now() - ?"}, []any{days * 86400}, maxFigureAlerts)
	if err != nil {
		return Figures{}, err
	}
	var resolvedIDs []string
	for _, a := range list {
		if a.ResolvedMs > 0 {
			resolvedIDs = append(resolvedIDs, a.CustomerID)
		}
	}
	nps, exp, err := r.outcomes(ctx, resolvedIDs)
	if err != nil {
		return Figures{}, err
	}
	f := Figures{Days: days, ByState: map[string]int{}, Groups: []Group{}}
	for _, s := range States {
		f.ByState[s] = 0
	}
	groups := map[[2]string]*Group{}
	contact, resolve := map[[2]string][]float64{}, map[[2]string][]float64{}
	for _, a := range list {
		ch := a.Channel
		if ch == "" {
			ch = "none"
		}
		k := [2]string{a.Reason, ch}
		g := groups[k]
		if g == nil {
			g = &Group{Reason: a.Reason, Channel: ch}
			groups[k] = g
		}
		g.Alerts++
		f.ByState[a.State]++
		switch a.State {
		case StateDismissed:
			g.Dismissed++
		case StateResolved:
		default:
			g.Open++
			f.Open++
		}
		if a.ContactedMs > 0 {
			g.Contacted++
			contact[k] = append(contact[k], hours(a.ContactedMs-a.RaisedMs))
		}
		if a.ResolvedMs > 0 {
			g.Resolved++
			resolve[k] = append(resolve[k], hours(a.ResolvedMs-a.RaisedMs))
			outcome(g, a, nps[a.CustomerID], exp[a.CustomerID])
		}
	}
	for k, g := range groups {
		g.FirstContactHours, g.ResolutionHours = median(contact[k]), median(resolve[k])
		f.Groups = append(f.Groups, *g)
	}
	sort.Slice(f.Groups, func(i, j int) bool {
		a, b := f.Groups[i], f.Groups[j]
		if a.Alerts != b.Alerts {
			return a.Alerts > b.Alerts
		}
		return a.Reason+a.Channel < b.Reason+b.Channel
	})
	return f, nil
}

// point is a customer's answer or score at a time.
type point struct {
	ms    int64
	value float64
}

// outcome adds a resolved case's outcome to g: the first NPS answer after
// the resolution, and the experience of the last snapshot on or before the
// trigger's day against the latest after the resolution.
func outcome(g *Group, a Alert, nps, exp []point) {
	for _, p := range nps {
		if p.ms > a.ResolvedMs {
			g.NPSAfter++
			if p.value >= 7 {
				g.NPSRecovered++
			}
			break
		}
	}
	triggerDay := time.UnixMilli(a.TriggerMs).UTC().Truncate(24 * time.Hour).UnixMilli()
	var before, after *point
	for i := range exp {
		p := &exp[i]
		if p.ms <= triggerDay {
			before = p
		}
		if p.ms > a.ResolvedMs {
			after = p
		}
	}
	if before != nil && after != nil {
		g.ExperienceCompared++
		if after.value > before.value {
			g.ExperienceRecovered++
		}
	}
}

// outcomes reads the NPS answers (by time) and daily experience snapshots
// (by day) of customers.
func (r *Reader) outcomes(ctx context.Context, customers []string) (map[string][]point, map[string][]point, error) {
	nps, exp := map[string][]point{}, map[string][]point{}
	if len(customers) == 0 {
		return nps, exp, nil
	}
	slices.Sort(customers)
	customers = slices.Compact(customers)
	src := r.st.CustomerEvents([]string{"ts_ms", "score"}, "event = 'NPS Submitted'", false, "")
	err := r.st.Select(ctx, func(rows driver.Rows) error {
		var c string
		var p point
		if err := rows.Scan(&c, &p.ms, &p.value); err != nil {
			return err
		}
		nps[c] = append(nps[c], p)
		return nil
	}, fmt.Sprintf(`SELECT customer, ts_ms, ifNull(score, 0) FROM %s WHERE has(?, customer) AND isNotNull(score) ORDER BY ts_ms`, src), customers)
	if err != nil {
		return nil, nil, fmt.Errorf("read nps answers: %w", err)
	}
	err = r.st.Select(ctx, func(rows driver.Rows) error {
		var c string
		var day time.Time
		var p point
		if err := rows.Scan(&c, &day, &p.value); err != nil {
			return err
		}
		p.ms = day.UnixMilli()
		exp[c] = append(exp[c], p)
		return nil
	}, fmt.Sprintf(`SELECT customer_id, day, experience FROM %s.score_snapshots FINAL WHERE has(?, customer_id) ORDER BY day`, r.st.DB()), customers)
	if err != nil {
		return nil, nil, fmt.Errorf("read experience snapshots: %w", err)
	}
	return nps, exp, nil
}

func hours(ms int64) float64 { return float64(ms) / 3.6e6 }

func median(v []float64) *float64 {
	if len(v) == 0 {
		return nil
	}
	slices.Sort(v)
	m := v[len(v)/2]
	if len(v)%2 == 0 {
		m = (v[len(v)/2-1] + v[len(v)/2]) / 2
	}
	m = float64(int64(m*100+0.5)) / 100
	return &m
}
