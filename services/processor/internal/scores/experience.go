package scores

import (
	"fmt"
	"math"
	"sort"
	"time"
)

// Experience is the time-decayed experience score of a customer, 0-100
// (50 is neutral), with the signals that moved it most.
type Experience struct {
	Score float64 `json:"score"`
	// Signals is the number of signals that went into the score.
	Signals int            `json:"signals"`
	Top     []Contribution `json:"top,omitempty"`
}

// Contribution is what all signals of one name added to the score, in
// points: Score = 50 + the sum of every signal's Points.
type Contribution struct {
	Signal string    `json:"signal"`
	Count  int       `json:"count"`
	Points float64   `json:"points"`
	Last   time.Time `json:"last"`
}

// weighted is one signal with its weight in [-1, 1].
type weighted struct {
	name   string
	at     time.Time
	weight float64
	detail string // e.g. "NPS 3", "phone ticket t1 first response after 5h (target 1h)"
}

// surveyWeight maps a survey answer to [-1, 1]: NPS 7.5 ± 2.5, CSAT 3 ± 2,
// CES 4 ± 3 (the same scale as the events table's signal_weight).
func surveyWeight(kind string, score float64) float64 {
	scale := map[string][2]float64{KindNPS: {7.5, 2.5}, KindCSAT: {3, 2}, KindCES: {4, 3}}[kind]
	if scale[1] == 0 {
		return 0
	}
	return max(-1, min(1, (score-scale[0])/scale[1]))
}

// signals lists every experience signal of f known at now.
func signals(f *Facts, cfg Config, now time.Time) []weighted {
	var out []weighted
	for _, s := range f.Surveys {
		out = append(out, weighted{s.Kind, s.At, surveyWeight(s.Kind, s.Score), fmt.Sprintf("%s %g", upper(s.Kind), s.Score)})
	}
	for _, s := range f.Signals {
		if w, ok := cfg.SignalWeights[s.Name]; ok && !s.At.After(now) {
			out = append(out, weighted{s.Name, s.At, w, s.Name + " on " + s.Channel})
		}
	}
	for _, o := range f.Orders {
		if !o.At.After(now) {
			out = append(out, weighted{"order", o.At, cfg.SignalWeights["order"], "order " + o.ID})
		}
	}
	for _, t := range f.Tickets {
		out = append(out, ticketSignals(t, cfg, now)...)
	}
	return out
}

// ticketSignals rates a ticket against its channel's targets: a first
// response or resolution later than the target (or still missing when the
// target has passed) is slow; a resolution within target is positive; every
// reopening is negative.
func ticketSignals(t *Ticket, cfg Config, now time.Time) []weighted {
	var out []weighted
	w := cfg.SignalWeights
	resp, res := cfg.target(cfg.ResponseTargets, t.Channel), cfg.target(cfg.ResolutionTargets, t.Channel)
	if due := t.Opened.Add(resp); (t.FirstReply.IsZero() && now.After(due)) || t.FirstReply.After(due) {
		out = append(out, weighted{"ticket_slow_response", due, w["ticket_slow_response"],
			fmt.Sprintf("%s ticket %s: no first response within %s", t.Channel, t.ID, resp)})
	}
	due := t.Opened.Add(res)
	switch {
	case (t.Resolved.IsZero() && now.After(due)) || t.Resolved.After(due):
		out = append(out, weighted{"ticket_slow_resolution", due, w["ticket_slow_resolution"],
			fmt.Sprintf("%s ticket %s: not resolved within %s", t.Channel, t.ID, res)})
	case !t.Resolved.IsZero():
		out = append(out, weighted{"ticket_resolved", t.Resolved, w["ticket_resolved"], fmt.Sprintf("%s ticket %s resolved in time", t.Channel, t.ID)})
	}
	for range t.Reopened {
		out = append(out, weighted{"ticket_reopened", t.Opened, w["ticket_reopened"], fmt.Sprintf("%s ticket %s reopened", t.Channel, t.ID)})
	}
	return out
}

// computeExperience is 50 + 50 × Σ wᵢdᵢ / (Σ dᵢ + Prior), where dᵢ =
// 0.5^(ageᵢ / HalfLife) and wᵢ ∈ [-1, 1] is the signal's weight: recent
// signals count more, and the neutral prior keeps a single signal from
// swinging the score to an extreme.
func computeExperience(sigs []weighted, cfg Config, now time.Time) Experience {
	var num, den float64
	decay := make([]float64, len(sigs))
	for i, s := range sigs {
		age := max(0, now.Sub(s.at).Hours())
		decay[i] = math.Pow(0.5, age/cfg.HalfLife.Hours())
		num += s.weight * decay[i]
		den += decay[i]
	}
	den += cfg.Prior
	e := Experience{Score: 50, Signals: len(sigs)}
	if den == 0 {
		return e
	}
	e.Score = round1(max(0, min(100, 50+50*num/den)))
	by := map[string]*Contribution{}
	for i, s := range sigs {
		c := by[s.name]
		if c == nil {
			c = &Contribution{Signal: s.name}
			by[s.name] = c
		}
		c.Count++
		c.Points += 50 * s.weight * decay[i] / den
		if s.at.After(c.Last) {
			c.Last = s.at
		}
	}
	all := make([]Contribution, 0, len(by))
	for _, c := range by {
		c.Points = round1(c.Points)
		if c.Points != 0 {
			all = append(all, *c)
		}
	}
	sort.Slice(all, func(i, j int) bool {
		if a, b := math.Abs(all[i].Points), math.Abs(all[j].Points); a != b {
			return a > b
		}
		return all[i].Signal < all[j].Signal
	})
	if len(all) > 0 {
		e.Top = all[:min(len(all), cfg.TopSignals)]
	}
	return e
}

// lastNegative returns the latest signal with a negative weight.
func lastNegative(sigs []weighted) *NegativeExperience {
	var best *weighted
	for i := range sigs {
		if s := &sigs[i]; s.weight < 0 && (best == nil || s.at.After(best.at)) {
			best = s
		}
	}
	if best == nil {
		return nil
	}
	return &NegativeExperience{Signal: best.name, At: best.at, Detail: best.detail}
}

// NegativeExperience is the latest bad experience of a customer.
type NegativeExperience struct {
	Signal string    `json:"signal"`
	At     time.Time `json:"at"`
	Detail string    `json:"detail"`
}

func upper(kind string) string {
	return map[string]string{KindNPS: "NPS", KindCSAT: "CSAT", KindCES: "CES"}[kind]
}
