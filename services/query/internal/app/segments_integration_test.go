package app_test

import (
	"context"
	"encoding/csv"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cemhq/cem/services/query/internal/journey"
	"github.com/cemhq/cem/services/query/internal/segments"
)

func TestSegmentsIntegration(t *testing.T) {
	e := newEnv(t)
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
}

func TestProfileScoresExtensionIntegration(t *testing.T) {
	e := newEnv(t)
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
}

func urlq(s string) string { return url.QueryEscape(s) }
