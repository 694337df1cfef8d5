package app_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cemhq/cem/services/query/internal/alerts"
	"github.com/cemhq/cem/services/query/internal/app"
)

const (
	agentToken  = "agent-token-0123456789"
	readerToken = "reader-token-0123456789"
)

type caseResp struct {
	Alert   alerts.Alert        `json:"alert"`
	Changes []alerts.CaseChange `json:"changes"`
}

// An alert becomes a case: open -> assigned -> contacted -> resolved (or
// dismissed), changed through the API with a write-scope token and stored
// with the token's name; /alerts filters by state and owner; the figures
// count open cases, time to first contact and resolution per reason and
// channel, and whether NPS and experience recovered.
func TestAlertCasesIntegration(t *testing.T) {
	tokens := func(c *app.Config) {
		c.Query.Tokens = append(c.Query.Tokens, "agent:"+agentToken+":read+write", "reader:"+readerToken+":read")
	}
	forEachLayout(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		now := time.Now().UTC()
		// Trigger events (their channel goes to the case figures) and alerts.
		eb, err := e.conn.PrepareBatch(ctx, "INSERT INTO "+e.db+".events (event_id, type, event, customer_key, customer_id, channel, timestamp, ts_ms, received_ms, score)")
		require.NoError(t, err)
		evAt := now.Add(-10 * time.Hour)
		nine := 9.0
		two := 2.0
		require.NoError(t, eb.Append("web:e1", "track", "NPS Submitted", "c1", "c1", "web", evAt, evAt.UnixMilli(), evAt.UnixMilli(), &two))
		require.NoError(t, eb.Append("callcenter:e2", "track", "Complaint Filed", "c2", "c2", "phone", evAt, evAt.UnixMilli(), evAt.UnixMilli(), (*float64)(nil)))
		later := now.Add(time.Minute) // an answer after the resolution below
		require.NoError(t, eb.Append("web:e3", "track", "NPS Submitted", "c1", "c1", "web", later, later.UnixMilli(), later.UnixMilli(), &nine))
		require.NoError(t, eb.Send())
		ab, err := e.conn.PrepareBatch(ctx, "INSERT INTO "+e.db+".alerts (alert_id, customer_id, reason, severity, message, action, details, trigger_id, trigger_ms, raised_at, raised_ms, version)")
		require.NoError(t, err)
		for _, a := range []struct{ id, cust, reason, trigger string }{
			{"detractor:c1:web:e1", "c1", "detractor", "web:e1"},
			{"complaint:c2:callcenter:e2", "c2", "complaint", "callcenter:e2"},
			{"churn_high:c3:churn_high:x", "c3", "churn_high", "churn_high:x"},
		} {
			require.NoError(t, ab.Append(a.id, a.cust, a.reason, "high", "m", "act", []string{}, a.trigger, evAt.UnixMilli(), evAt.Truncate(time.Second), evAt.UnixMilli(), uint64(1)))
		}
		require.NoError(t, ab.Send())
		sb, err := e.conn.PrepareBatch(ctx, "INSERT INTO "+e.db+".score_snapshots (day, customer_id, taken_at, experience, keep)")
		require.NoError(t, err)
		day := evAt.Truncate(24 * time.Hour)
		require.NoError(t, sb.Append(day, "c1", day, 30.0, uint64(1)))
		require.NoError(t, sb.Append(now.Truncate(24*time.Hour).Add(24*time.Hour), "c1", now, 62.5, uint64(1)))
		require.NoError(t, sb.Send())

		list := func(q string) []string {
			var r struct{ Alerts []alerts.Alert }
			e.json("GET", "/api/v1/alerts?days=30"+q, nil, &r)
			var ids []string
			for _, a := range r.Alerts {
				ids = append(ids, a.ID)
			}
			return ids
		}
		assert.Equal(t, []string{"churn_high:c3:churn_high:x", "complaint:c2:callcenter:e2", "detractor:c1:web:e1"}, list("&state=open"))

		change := func(token, id string, body map[string]string) (int, caseResp) {
			var out caseResp
			code, b := e.doAs(token, "POST", "/api/v1/alerts/"+id+"/case", body)
			if code == http.StatusOK {
				require.NoError(t, json.Unmarshal(b, &out))
			}
			return code, out
		}
		code, c := change(agentToken, "detractor:c1:web:e1", map[string]string{"owner": "alice"})
		require.Equal(t, http.StatusOK, code)
		assert.Equal(t, "assigned", c.Alert.State)
		assert.Equal(t, "alice", c.Alert.Owner)
		assert.Equal(t, "web", c.Alert.Channel)
		_, c = change(agentToken, "detractor:c1:web:e1", map[string]string{"state": "contacted", "note": "called, she was double charged"})
		assert.Equal(t, "contacted", c.Alert.State)
		_, c = change(agentToken, "detractor:c1:web:e1", map[string]string{"state": "resolved", "note": "refunded"})
		assert.Equal(t, "resolved", c.Alert.State)
		require.Len(t, c.Changes, 3)
		for i, want := range []string{"assigned", "contacted", "resolved"} {
			assert.Equal(t, want, c.Changes[i].State)
			assert.Equal(t, "agent", c.Changes[i].Actor, "who")
			assert.InDelta(t, time.Now().UnixMilli(), c.Changes[i].AtMs, 60000, "when")
		}
		assert.Equal(t, "refunded", c.Changes[2].Note)

		// Refused changes.
		code, _ = change(agentToken, "detractor:c1:web:e1", map[string]string{"state": "contacted"})
		assert.Equal(t, http.StatusConflict, code, "a resolved case is not contacted")
		code, _ = change(agentToken, "complaint:c2:callcenter:e2", map[string]string{"state": "assigned"})
		assert.Equal(t, http.StatusBadRequest, code, "assigned needs an owner")
		code, _ = change(readerToken, "complaint:c2:callcenter:e2", map[string]string{"state": "dismissed"})
		assert.Equal(t, http.StatusForbidden, code, "read scope cannot change cases")
		code, _ = change(agentToken, "nope", map[string]string{"state": "dismissed"})
		assert.Equal(t, http.StatusNotFound, code)
		code, c = change(agentToken, "complaint:c2:callcenter:e2", map[string]string{"state": "dismissed", "note": "duplicate"})
		require.Equal(t, http.StatusOK, code)

		assert.Equal(t, []string{"churn_high:c3:churn_high:x"}, list("&state=open"))
		assert.Equal(t, []string{"detractor:c1:web:e1"}, list("&owner=alice"))
		assert.Equal(t, []string{"detractor:c1:web:e1"}, list("&state=resolved&owner=alice"))
		assert.Empty(t, list("&state=open&owner=alice"))

		var f alerts.Figures
		e.json("GET", "/api/v1/alerts/figures?days=30", nil, &f)
		assert.Equal(t, 1, f.Open)
		assert.Equal(t, map[string]int{"open": 1, "assigned": 0, "contacted": 0, "resolved": 1, "dismissed": 1}, f.ByState)
		groups := map[string]alerts.Group{}
		for _, g := range f.Groups {
			groups[g.Reason+"/"+g.Channel] = g
		}
		require.Len(t, groups, 3)
		det := groups["detractor/web"]
		assert.Equal(t, 1, det.Resolved)
		assert.Equal(t, 1, det.Contacted)
		require.NotNil(t, det.FirstContactHours)
		assert.InDelta(t, 10, *det.FirstContactHours, 0.1)
		require.NotNil(t, det.ResolutionHours)
		assert.InDelta(t, 10, *det.ResolutionHours, 0.1)
		assert.Equal(t, 1, det.NPSAfter)
		assert.Equal(t, 1, det.NPSRecovered)
		assert.Equal(t, 1, det.ExperienceCompared)
		assert.Equal(t, 1, det.ExperienceRecovered)
		assert.Equal(t, 1, groups["complaint/phone"].Dismissed)
		assert.Equal(t, 1, groups["churn_high/none"].Open)
		assert.Nil(t, groups["churn_high/none"].FirstContactHours)

		// The case page's read.
		var one caseResp
		e.json("GET", "/api/v1/alerts/"+strings.ReplaceAll("detractor:c1:web:e1", ":", "%3A"), nil, &one)
		assert.Equal(t, "resolved", one.Alert.State)
		assert.Len(t, one.Changes, 3)
	}, tokens)
}
