package app_test

import (
	"sort"
	"time"
)

// Independent Go implementations of the answers the API must give, computed
// from the generated events.

func step(e ev) string {
	if e.Event != "" {
		return e.Event
	}
	return e.Type
}

// journeys returns every canonical customer's events in time order.
func (d *dataset) journeys() map[string][]ev {
	out := map[string][]ev{}
	for _, e := range d.Events {
		if e.Bot {
			continue
		}
		c := d.canonical(e.Key)
		out[c] = append(out[c], e)
	}
	for _, evs := range out {
		sort.SliceStable(evs, func(a, b int) bool { return evs[a].Ms < evs[b].Ms })
	}
	return out
}

// funnelLevel is the longest prefix of steps completed in order within
// window seconds of a step-1 event (the best start wins).
func funnelLevel(evs []ev, steps []string, window int64) int {
	best := 0
	for i, e := range evs {
		if step(e) != steps[0] {
			continue
		}
		start, level, last := e.Ms/1000, 1, i
		for k := 1; k < len(steps); k++ {
			found := false
			for j := last + 1; j < len(evs); j++ {
				s := evs[j].Ms / 1000
				if s > start+window {
					break
				}
				if step(evs[j]) == steps[k] {
					level, last, found = k+1, j, true
					break
				}
			}
			if !found {
				break
			}
		}
		best = max(best, level)
	}
	return best
}

// chainTimes is the greedy chain from the first step-1 event: the time (ms)
// of each step, 0 from the first step not found.
func chainTimes(evs []ev, steps []string) []int64 {
	out := make([]int64, len(steps))
	var prev int64 = -1
	for k, s := range steps {
		for _, e := range evs {
			if step(e) == s && e.Ms > prev {
				out[k], prev = e.Ms, e.Ms
				break
			}
		}
		if out[k] == 0 {
			break
		}
	}
	return out
}

// quantileExact mirrors ClickHouse quantileExact: element floor(level*n) of
// the sorted values.
func quantileExact(xs []float64, level float64) float64 {
	sort.Float64s(xs)
	return xs[int(level*float64(len(xs)))]
}

type expFunnel struct {
	counts  []uint64
	medians []*float64
	byChan  map[string][]uint64
	levels  map[string]int
}

func expectFunnel(d *dataset, steps []string, window int64) expFunnel {
	f := expFunnel{counts: make([]uint64, len(steps)), medians: make([]*float64, len(steps)), byChan: map[string][]uint64{}, levels: map[string]int{}}
	gaps := make([][]float64, len(steps))
	for c, evs := range d.journeys() {
		lv := funnelLevel(evs, steps, window)
		if lv == 0 {
			continue
		}
		f.levels[c] = lv
		ch := ""
		for _, e := range evs {
			if step(e) == steps[0] {
				ch = e.Channel
				break
			}
		}
		if f.byChan[ch] == nil {
			f.byChan[ch] = make([]uint64, len(steps))
		}
		ts := chainTimes(evs, steps)
		for k := range lv {
			f.counts[k]++
			f.byChan[ch][k]++
			if k > 0 && ts[k] > 0 {
				gaps[k] = append(gaps[k], float64(ts[k]-ts[k-1])/1000)
			}
		}
	}
	for k := 1; k < len(steps); k++ {
		if len(gaps[k]) > 0 {
			m := quantileExact(gaps[k], 0.5)
			f.medians[k] = &m
		}
	}
	return f
}

// weekNum numbers ISO weeks (Monday first) since the epoch.
func weekNum(ms int64) int64 {
	days := ms / 86400000
	return (days + 3) / 7
}

type expCohort struct {
	start    string
	size     uint64
	retained []uint64
}

// expectRetention: weekly cohorts by first event; retained[k] did any event
// k weeks later.
func expectRetention(d *dataset, periods int) []expCohort {
	byWeek := map[int64]*expCohort{}
	for _, evs := range d.journeys() {
		w0 := weekNum(evs[0].Ms)
		c, ok := byWeek[w0]
		if !ok {
			start := time.UnixMilli(evs[0].Ms).UTC()
			start = start.AddDate(0, 0, -((int(start.Weekday()) + 6) % 7))
			c = &expCohort{start: start.Format("2006-01-02"), retained: make([]uint64, periods)}
			byWeek[w0] = c
		}
		c.size++
		seen := map[int64]bool{}
		for _, e := range evs {
			k := weekNum(e.Ms) - w0
			if k < int64(periods) && !seen[k] {
				seen[k] = true
				c.retained[k]++
			}
		}
	}
	var out []expCohort
	for _, c := range byWeek {
		out = append(out, *c)
	}
	sort.Slice(out, func(a, b int) bool { return out[a].start < out[b].start })
	return out
}

type expNPS struct {
	n             uint64
	pro, pas, det uint64
	score         float64
}

func expectNPS(d *dataset) map[string]*expNPS {
	out := map[string]*expNPS{}
	for _, e := range d.Events {
		if e.Event != "NPS Submitted" || e.Score == nil || e.Bot {
			continue
		}
		g, ok := out[e.Channel]
		if !ok {
			g = &expNPS{}
			out[e.Channel] = g
		}
		g.n++
		switch s := *e.Score; {
		case s >= 9:
			g.pro++
		case s >= 7:
			g.pas++
		default:
			g.det++
		}
	}
	for _, g := range out {
		g.score = 100 * (float64(g.pro) - float64(g.det)) / float64(g.n)
	}
	return out
}

// strictLevel is the longest prefix of steps done as consecutive events,
// the last within window seconds of the first.
func strictLevel(evs []ev, steps []string, window int64) int {
	best := 0
	for i := range evs {
		l := 0
		for l < len(steps) && i+l < len(evs) && step(evs[i+l]) == steps[l] &&
			evs[i+l].Ms/1000-evs[i].Ms/1000 <= window {
			l++
		}
		best = max(best, l)
	}
	return best
}
