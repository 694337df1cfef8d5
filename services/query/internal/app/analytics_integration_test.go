package app_test

import (
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cemhq/cem/services/query/internal/experience"
	"github.com/cemhq/cem/services/query/internal/funnel"
	"github.com/cemhq/cem/services/query/internal/paths"
	"github.com/cemhq/cem/services/query/internal/retention"
	"github.com/cemhq/cem/services/query/internal/servicelevel"
)

func TestFunnelKnownAnswersIntegration(t *testing.T) {
	forEachLayout(t, func(t *testing.T, e *env) {
		d := generate(7, 300)
		d.load(t, e.conn, e.db)
		const window = 3600
		want := expectFunnel(d, funnelSteps, window)
		require.Positive(t, want.counts[2], "the dataset must have conversions")

		req := funnel.Request{WindowSeconds: window, Breakdown: "channel", Dropoff: &funnel.DropoffRequest{Step: 1, Limit: 1000}}
		for _, s := range funnelSteps {
			req.Steps = append(req.Steps, funnel.Step{Event: s})
		}
		var got funnel.Result
		e.json("POST", "/api/v1/funnels", req, &got)
		require.Len(t, got.Steps, 3)
		for k, s := range got.Steps {
			assert.Equal(t, want.counts[k], s.Customers, "step %d customers", k+1)
			if k > 0 {
				assert.InDelta(t, float64(want.counts[k])/float64(want.counts[k-1]), s.ConversionFromPrevious, 1e-9)
				require.NotNil(t, s.MedianSecondsFromPrevious, "step %d median", k+1)
				require.NotNil(t, want.medians[k])
				assert.InDelta(t, *want.medians[k], *s.MedianSecondsFromPrevious, 1e-6, "step %d median", k+1)
			}
		}
		gotByChan := map[string][]uint64{}
		for _, g := range got.Breakdown {
			for _, s := range g.Steps {
				gotByChan[g.Value] = append(gotByChan[g.Value], s.Customers)
			}
		}
		assert.Equal(t, want.byChan, gotByChan, "breakdown by channel")

		var dropped []string
		for c, lv := range want.levels {
			if lv == 1 {
				dropped = append(dropped, c)
			}
		}
		require.NotNil(t, got.Dropoff)
		assert.ElementsMatch(t, dropped, got.Dropoff.Customers, "customers who stopped at step 1")

		// Anonymous pre-login events count: some funnel starts before login.
		stitched := 0
		for c, lv := range want.levels {
			if lv < 2 {
				continue
			}
			for _, ev := range d.journeys()[c] {
				if ev.User == "" && step(ev) == funnelSteps[0] && c != ev.Key {
					stitched++
					break
				}
			}
		}
		assert.Positive(t, stitched, "the dataset must contain funnels that start anonymously before login")

		t.Run("property filter", func(t *testing.T) {
			r := funnel.Request{WindowSeconds: window, Steps: []funnel.Step{
				{Event: "Product Viewed", Where: []funnel.Filter{{Property: "plan", Op: "eq", Value: "pro"}}},
				{Event: "Order Completed"},
			}}
			var res funnel.Result
			e.json("POST", "/api/v1/funnels", r, &res)
			// Independently: only "Product Viewed" events with plan=pro count as step 1.
			var n1 uint64
			for _, evs := range d.journeys() {
				for _, ev := range evs {
					if ev.Event == "Product Viewed" && ev.Props["plan"] == "pro" {
						n1++
						break
					}
				}
			}
			assert.Equal(t, n1, res.Steps[0].Customers)
		})

		t.Run("strict", func(t *testing.T) {
			r := req
			r.Strict, r.Breakdown, r.Dropoff = true, "", nil
			var res funnel.Result
			e.json("POST", "/api/v1/funnels", r, &res)
			counts := make([]uint64, len(funnelSteps))
			for _, evs := range d.journeys() {
				for k := range strictLevel(evs, funnelSteps, window) {
					counts[k]++
				}
			}
			require.Positive(t, counts[1])
			for k, s := range res.Steps {
				assert.Equal(t, counts[k], s.Customers, "strict step %d", k+1)
			}
			assert.LessOrEqual(t, res.Steps[1].Customers, want.counts[1], "strict order is never more than non-strict")
		})
	})
}

func TestRetentionKnownAnswersIntegration(t *testing.T) {
	forEachLayout(t, func(t *testing.T, e *env) {
		d := generate(11, 250)
		d.load(t, e.conn, e.db)
		const periods = 6
		want := expectRetention(d, periods)
		var got retention.Matrix
		e.json("GET", fmt.Sprintf("/api/v1/retention?cohort=first_seen&grain=week&periods=%d", periods), nil, &got)
		require.Len(t, got.Cohorts, len(want))
		for i, c := range got.Cohorts {
			assert.Equal(t, want[i].start, c.Start)
			assert.Equal(t, want[i].size, c.Size, "cohort %s size", c.Start)
			assert.Equal(t, want[i].retained, c.Retained, "cohort %s", c.Start)
			assert.Equal(t, c.Size, c.Retained[0], "everyone is active in their first week")
		}
	})
}

func TestExperienceKnownAnswersIntegration(t *testing.T) {
	forEachLayout(t, func(t *testing.T, e *env) {
		d := generate(13, 300)
		d.load(t, e.conn, e.db)
		want := expectNPS(d)
		var got experience.Report
		e.json("GET", "/api/v1/experience?metric=nps&by=channel&min_n=20", nil, &got)
		require.Len(t, got.Groups, len(want))
		for _, g := range got.Groups {
			w := want[g.Key]
			require.NotNil(t, w, g.Key)
			assert.Equal(t, w.n, g.N, g.Key)
			assert.Equal(t, w.pro, *g.Promoters, g.Key)
			assert.Equal(t, w.det, *g.Detractors, g.Key)
			assert.InDelta(t, w.score, g.Score, 1e-9, g.Key)
			assert.Equal(t, w.n >= 20, g.Sufficient, g.Key)
		}

		var worst experience.Report
		e.json("GET", "/api/v1/experience/touchpoints/worst?metric=nps&min_n=1", nil, &worst)
		require.NotEmpty(t, worst.Groups)
		for i := 1; i < len(worst.Groups); i++ {
			assert.LessOrEqual(t, worst.Groups[i-1].Score, worst.Groups[i].Score, "worst first")
		}

		var j experience.Journeys
		e.json("GET", "/api/v1/experience/journeys?depth=2&from=0", nil, &j)
		var det, pro uint64
		for _, evs := range d.journeys() {
			for _, ev := range evs {
				if ev.Event == "NPS Submitted" {
					if *ev.Score <= 6 {
						det++
					} else if *ev.Score >= 9 {
						pro++
					}
				}
			}
		}
		var gotDet, gotPro uint64
		for _, p := range j.Detractors.Paths {
			gotDet += p.Occurrences
			assert.Equal(t, "NPS Submitted", p.Steps[len(p.Steps)-1])
		}
		for _, p := range j.Promoters.Paths {
			gotPro += p.Occurrences
		}
		assert.LessOrEqual(t, gotDet, det)
		assert.LessOrEqual(t, gotPro, pro)
		assert.Positive(t, gotDet+gotPro)
	})
}

func TestPathsKnownAnswersIntegration(t *testing.T) {
	forEachLayout(t, func(t *testing.T, e *env) {
		d := generate(17, 200)
		d.load(t, e.conn, e.db)
		var newest int64
		for _, ev := range d.Events {
			newest = max(newest, ev.Ms)
		}
		for _, tc := range []struct {
			query  string
			fromMs int64
			thin   bool
		}{
			{"&from=0", 0, false}, // all data
			{fmt.Sprintf("&to=%d&days=70", newest+1), newest + 1 - 70*86_400_000, false},
			{fmt.Sprintf("&to=%d", newest+1), newest + 1 - 30*86_400_000, true}, // the default: 30 days before "to" (a thin tail here)
		} {
			// Expected: the step after every "Checkout Started" of the
			// range, consecutive repeats collapsed.
			next, prev := map[string]uint64{}, map[string]uint64{}
			paths1, prevPaths := map[string]uint64{}, map[string]uint64{}
			custs := map[string]map[string]bool{}
			var total uint64
			for c, evs := range d.journeys() {
				var seq []string
				for _, ev := range evs {
					if ev.Ms < tc.fromMs {
						continue
					}
					if s := step(ev); len(seq) == 0 || seq[len(seq)-1] != s || s == "Checkout Started" {
						seq = append(seq, s)
					}
				}
				for i, s := range seq {
					if s != "Checkout Started" {
						continue
					}
					pkey := s
					if i > 0 {
						prev[seq[i-1]]++
						pkey = seq[i-1] + ">" + s
					}
					prevPaths[pkey]++
					key := s
					if i+1 < len(seq) {
						next[seq[i+1]]++
						total++
						key += ">" + seq[i+1]
					}
					paths1[key]++
					if custs[key] == nil {
						custs[key] = map[string]bool{}
					}
					custs[key][c] = true
				}
			}
			if !tc.thin {
				require.Positive(t, total, tc.query)
			}
			var got paths.Result
			e.json("GET", "/api/v1/paths?anchor="+url.QueryEscape("Checkout Started")+"&depth=1&limit=200"+tc.query, nil, &got)
			assert.Equal(t, tc.fromMs, got.FromMs, tc.query)
			gotNext := map[string]uint64{}
			for _, s := range got.Steps {
				gotNext[s.Step] = s.Occurrences
			}
			assert.Equal(t, next, gotNext, tc.query)
			gotPaths := map[string]uint64{}
			for _, p := range got.Paths {
				key := strings.Join(p.Steps, ">")
				gotPaths[key] = p.Occurrences
				assert.Equal(t, uint64(len(custs[key])), p.Customers, "%s%s: customers", key, tc.query)
			}
			assert.Equal(t, paths1, gotPaths, tc.query)
			assert.Equal(t, len(paths1) > 0, len(got.Nodes) > 0, tc.query)
			var linked uint64
			for _, l := range got.Links {
				assert.Equal(t, "0:Checkout Started", l.Source)
				linked += l.Value
			}
			assert.Equal(t, total, linked, "Sankey links carry every occurrence with a next step")

			var back paths.Result
			e.json("GET", "/api/v1/paths?anchor="+url.QueryEscape("Checkout Started")+"&direction=previous&depth=1&limit=200"+tc.query, nil, &back)
			gotPrev, gotPrevPaths := map[string]uint64{}, map[string]uint64{}
			for _, s := range back.Steps {
				gotPrev[s.Step] = s.Occurrences
			}
			for _, p := range back.Paths {
				gotPrevPaths[strings.Join(p.Steps, ">")] = p.Occurrences
			}
			assert.Equal(t, prev, gotPrev, "previous"+tc.query)
			assert.Equal(t, prevPaths, gotPrevPaths, "previous"+tc.query)
		}
		// The window is reported and "from" excludes "days".
		code, _ := e.do("GET", "/api/v1/paths?anchor=x&from=0&days=3", nil)
		assert.Equal(t, http.StatusBadRequest, code)
	})
}

func TestServiceLevelsIntegration(t *testing.T) {
	forEachLayout(t, func(t *testing.T, e *env) {
		d := generate(19, 300)
		d.load(t, e.conn, e.db)
		type tk struct {
			ch                        string
			opened, replied, resolved int64
		}
		tickets := map[string]*tk{}
		for _, ev := range d.Events {
			if ev.TicketID == "" {
				continue
			}
			x, ok := tickets[ev.TicketID]
			if !ok {
				x = &tk{ch: ev.TicketChannel}
				tickets[ev.TicketID] = x
			}
			switch ev.Event {
			case "Ticket Opened":
				x.opened = ev.Ms
			case "Ticket Replied":
				x.replied = ev.Ms
			case "Ticket Resolved":
				x.resolved = ev.Ms
			}
		}
		type agg struct {
			opened, replied, resolved, inResp uint64
			resp                              []float64
		}
		want := map[string]*agg{}
		target := map[string]int64{"phone": 3600e3, "email": 3 * 3600e3, "chat": 2 * 3600e3}
		for _, x := range tickets {
			a, ok := want[x.ch]
			if !ok {
				a = &agg{}
				want[x.ch] = a
			}
			a.opened++
			if x.replied > 0 {
				a.replied++
				a.resp = append(a.resp, float64(x.replied-x.opened)/1000)
				if x.replied-x.opened <= target[x.ch] {
					a.inResp++
				}
			}
			if x.resolved > 0 {
				a.resolved++
			}
		}
		var got servicelevel.Report
		e.json("GET", "/api/v1/service", nil, &got)
		require.Len(t, got.Channels, len(want))
		for _, c := range got.Channels {
			w := want[c.Channel]
			require.NotNil(t, w, c.Channel)
			assert.Equal(t, w.opened, c.Opened, c.Channel)
			assert.Equal(t, w.replied, c.Replied, c.Channel)
			assert.Equal(t, w.resolved, c.Resolved, c.Channel)
			assert.Equal(t, w.opened-w.resolved, c.Unresolved, c.Channel)
			if w.replied > 0 {
				require.NotNil(t, c.MedianResponseSeconds)
				assert.InDelta(t, quantileExact(w.resp, 0.5), *c.MedianResponseSeconds, 1e-6, c.Channel)
			}
			assert.InDelta(t, float64(w.inResp)/float64(w.opened), c.ResponseWithinTarget, 1e-9, c.Channel)
			assert.InDelta(t, float64(target[c.Channel])/1000, c.TargetResponseSeconds, 1e-9)
			assert.False(t, math.IsNaN(c.ResolutionWithinTarget))
		}
	})
}
