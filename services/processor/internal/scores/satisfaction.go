package scores

import (
	"fmt"
	"math"
	"time"
)

// Satisfaction is a customer's latest survey answers and their trend.
type Satisfaction struct {
	NPS  *Answer `json:"nps,omitempty"`
	CSAT *Answer `json:"csat,omitempty"`
	CES  *Answer `json:"ces,omitempty"`
	// Responses is the number of survey answers of any kind.
	Responses int `json:"responses"`
}

// Answer is the latest answer of one survey kind.
type Answer struct {
	Score float64   `json:"score"`
	At    time.Time `json:"at"`
	// Count is the number of answers of this kind.
	Count int `json:"count"`
	// Trend is Score minus the mean of up to three previous answers; nil
	// with a single answer.
	Trend *float64 `json:"trend,omitempty"`
}

// Direction is "up", "down" or "flat" (|trend| < half a point); "" without
// a trend.
func (a *Answer) Direction() string {
	switch {
	case a == nil || a.Trend == nil:
		return ""
	case *a.Trend >= 0.5:
		return "up"
	case *a.Trend <= -0.5:
		return "down"
	}
	return "flat"
}

// NPS classes of an answer 0-10.
func npsClass(score float64) string {
	switch {
	case score >= 9:
		return "promoter"
	case score >= 7:
		return "passive"
	}
	return "detractor"
}

// IsDetractor reports an NPS answer of 0-6.
func IsDetractor(score float64) bool { return score <= 6 }

// computeSatisfaction returns the latest answer and trend per kind; f's
// surveys are sorted by time.
func computeSatisfaction(f *Facts) Satisfaction {
	s := Satisfaction{Responses: len(f.Surveys)}
	by := map[string][]Survey{}
	for _, sv := range f.Surveys {
		by[sv.Kind] = append(by[sv.Kind], sv)
	}
	latest := func(list []Survey) *Answer {
		if len(list) == 0 {
			return nil
		}
		last := list[len(list)-1]
		a := &Answer{Score: last.Score, At: last.At, Count: len(list)}
		if prev := list[max(0, len(list)-4) : len(list)-1]; len(prev) > 0 {
			var sum float64
			for _, p := range prev {
				sum += p.Score
			}
			t := round1(last.Score - sum/float64(len(prev)))
			a.Trend = &t
		}
		return a
	}
	s.NPS, s.CSAT, s.CES = latest(by[KindNPS]), latest(by[KindCSAT]), latest(by[KindCES])
	return s
}

// Aggregate is a satisfaction figure over many responses. Value is nil when
// N is below the configured minimum: no figure without its n.
type Aggregate struct {
	Kind  string   `json:"kind"`
	N     int      `json:"n"`
	Value *float64 `json:"value"`
	// Promoters, Passives and Detractors count NPS classes; Satisfied
	// counts CSAT answers of 4-5.
	Promoters  int `json:"promoters,omitempty"`
	Passives   int `json:"passives,omitempty"`
	Detractors int `json:"detractors,omitempty"`
	Satisfied  int `json:"satisfied,omitempty"`
	// Sum of the scores (CES mean = Sum / N).
	Sum float64 `json:"sum"`
}

// Counts are the additive counters of one group of responses (the columns
// of the satisfaction_daily view): sums of Counts roll up to any period or
// dimension exactly.
type Counts struct {
	N, Promoters, Passives, Detractors, Satisfied int
	Sum                                           float64
}

// Add counts one answer of kind.
func (c *Counts) Add(kind string, score float64) {
	c.N++
	c.Sum += score
	switch kind {
	case KindNPS:
		switch npsClass(score) {
		case "promoter":
			c.Promoters++
		case "passive":
			c.Passives++
		default:
			c.Detractors++
		}
	case KindCSAT:
		if score >= 4 {
			c.Satisfied++
		}
	}
}

// Figure computes the aggregate of kind from counts: NPS = %promoters -
// %detractors (-100..100), CSAT = % of answers 4-5 (0..100), CES = mean
// (1..7). Value is nil when N < minN.
func (c Counts) Figure(kind string, minN int) Aggregate {
	a := Aggregate{Kind: kind, N: c.N, Promoters: c.Promoters, Passives: c.Passives, Detractors: c.Detractors, Satisfied: c.Satisfied, Sum: c.Sum}
	if c.N == 0 || c.N < minN {
		return a
	}
	n := float64(c.N)
	var v float64
	switch kind {
	case KindNPS:
		v = 100 * float64(c.Promoters-c.Detractors) / n
	case KindCSAT:
		v = 100 * float64(c.Satisfied) / n
	case KindCES:
		v = c.Sum / n
	default:
		panic(fmt.Sprintf("scores: unknown survey kind %q", kind))
	}
	v = round1(v)
	a.Value = &v
	return a
}

// Aggregates computes NPS, CSAT and CES over surveys grouped by key (e.g.
// touchpoint, channel, source or period); the query service uses the
// satisfaction_daily view, which holds the same Counts.
func Aggregates(surveys []Survey, key func(Survey) string, minN int) map[string]map[string]Aggregate {
	counts := map[string]map[string]*Counts{}
	for _, s := range surveys {
		k := key(s)
		if counts[k] == nil {
			counts[k] = map[string]*Counts{}
		}
		c := counts[k][s.Kind]
		if c == nil {
			c = &Counts{}
			counts[k][s.Kind] = c
		}
		c.Add(s.Kind, s.Score)
	}
	out := map[string]map[string]Aggregate{}
	for k, byKind := range counts {
		out[k] = map[string]Aggregate{}
		for kind, c := range byKind {
			out[k][kind] = c.Figure(kind, minN)
		}
	}
	return out
}

func round1(v float64) float64 { return math.Round(v*10) / 10 }
