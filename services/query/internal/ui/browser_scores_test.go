package ui_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cemhq/cem/pkg/itest"
)

// The checks of this file read what the processor's scorer writes (score
// snapshots, alerts). The stack's scorer may write more at any moment, so
// they compare the UI with the API through settled.

// settled requires that the UI shows the API's answer. It asks the API
// before and after reading the UI (ui reloads the view) and compares only
// when both answers agree, else tries again: a scorer run in between would
// otherwise make the comparison flaky.
func settled[T any](s *session, what string, api, ui func() T) T {
	s.t.Helper()
	for range 5 {
		before := api()
		got := ui()
		after := api()
		if assert.ObjectsAreEqual(before, after) {
			assert.Equal(s.t, before, got, what)
			return got
		}
		s.t.Logf("%s: the API's answer changed while the UI was read; reading both again", what)
	}
	s.t.Fatalf("%s: the API's answer kept changing", what)
	return *new(T)
}

// waitState waits until the element sel is no longer loading and requires
// its data-state to be ready.
func (s *session) waitState(sel string) {
	s.t.Helper()
	wctx, cancel := context.WithTimeout(s.ctx, 45*time.Second)
	defer cancel()
	err := chromedp.Do(wctx, chromedp.WaitVisible(chromedp.CSS(sel+`[data-state]:not([data-state=loading])`)))
	require.NoError(s.t, err, "%s loaded", sel)
	state, err := chromedp.Run(s.ctx, chromedp.AttributeValue(chromedp.CSS(sel), "data-state"))
	require.NoError(s.t, err)
	require.Equal(s.t, "ready", state.Value, "state of %s: %s", sel, s.text(sel))
}

// historyShown is a segment's size per day: the range and the days with
// their counts, oldest first, and the number of bars drawn.
type historyShown struct {
	From, To string
	Days     []string
	Counts   []uint64
	Bars     int
}

// segmentHistory opens the detractors segment (one the snapshots keep) and
// requires its size per day, in the table and as bars, to equal the API's,
// for the default range and after choosing the last 30 days.
func (s *session) segmentHistory(api apiClient) {
	const name = "detractors"
	var list struct {
		Segments []struct {
			Name string `json:"name"`
		} `json:"segments"`
	}
	code, body, err := api.do(http.MethodGet, "/segments", nil, &list)
	require.NoError(s.t, err)
	require.Equal(s.t, http.StatusOK, code, string(body))
	var names []string
	for _, sg := range list.Segments {
		names = append(names, sg.Name)
	}
	if !slices.Contains(names, name) {
		s.t.Skipf("the query service registers no %s segment: segment history not testable", name)
	}
	fromAPI := func(days int) func() historyShown {
		return func() historyShown {
			from := time.Now().UTC().AddDate(0, 0, -days).Format(time.DateOnly)
			var r struct {
				From, To string
				Points   []struct {
					Day   string `json:"day"`
					Count uint64 `json:"count"`
				} `json:"points"`
			}
			code, body, err := api.do(http.MethodGet, "/segments/"+name+"/history?from="+from, nil, &r)
			require.NoError(s.t, err)
			require.Equal(s.t, http.StatusOK, code, string(body))
			h := historyShown{From: r.From, To: r.To, Days: []string{}, Counts: []uint64{}, Bars: len(r.Points)}
			for _, p := range r.Points {
				h.Days = append(h.Days, p.Day)
				h.Counts = append(h.Counts, p.Count)
			}
			return h
		}
	}
	if s.env.scores {
		itest.Eventually(s.t, 2*time.Minute, func() bool { return len(fromAPI(90)().Days) > 0 },
			"the scorer has taken a snapshot (the detractors history has a day)")
	}
	got := settled(s, "size per day (last 90 days) equals the API's", fromAPI(90), func() historyShown {
		s.open("#/segment/"+name, "segment")
		s.waitState("#segment-history")
		return s.historyShown()
	})
	if s.env.scores {
		assert.NotEmpty(s.t, got.Days, "the history shows the snapshot days")
	}
	s.shot("12-segment-history")

	// The range select reloads the card only.
	settled(s, "size per day (last 30 days) equals the API's", fromAPI(30), func() historyShown {
		s.open("#/segment/"+name, "segment")
		s.waitState("#segment-history")
		// The change handler marks the card loading before it returns.
		loading := eval[string](s, `(() => { const r = document.querySelector('#segment-history select[name=range]');
		  r.value = '30'; r.dispatchEvent(new Event('change')); return document.getElementById('segment-history').dataset.state; })()`)
		require.Equal(s.t, "loading", loading, "choosing a range reloads the card")
		s.waitState("#segment-history")
		return s.historyShown()
	})
	s.shot("12b-segment-history-30-days")

	// A segment over facts the snapshots do not keep says so without asking
	// the API (which would answer 400, a console error).
	const noHistory = "contracts_ending"
	if slices.Contains(names, noHistory) {
		s.open("#/segment/"+noHistory, "segment")
		s.waitState("#segment-history")
		assert.Contains(s.t, s.text(`#segment-history`), "keeps no history")
		s.shot("12c-segment-no-history")
	}
	s.noConsoleErrors()
}

// historyShown reads the history card: the table lists the newest day
// first.
func (s *session) historyShown() historyShown {
	s.t.Helper()
	type row struct {
		Day   string `json:"day"`
		Count string `json:"count"`
	}
	rows := eval[[]row](s, `[...document.querySelectorAll('#segment-history-table tbody tr')].map(tr => ({
	  day: tr.querySelector('td').textContent, count: tr.querySelector('[data-field=count]').textContent}))`)
	h := historyShown{
		From:   eval[string](s, `document.getElementById('segment-history').dataset.from`),
		To:     eval[string](s, `document.getElementById('segment-history').dataset.to`),
		Days:   []string{},
		Counts: []uint64{},
		Bars:   eval[int](s, `document.querySelectorAll('#segment-history svg.chart rect.col').length`),
	}
	slices.Reverse(rows)
	for _, r := range rows {
		n, err := strconv.ParseUint(strings.ReplaceAll(r.Count, ",", ""), 10, 64)
		require.NoError(s.t, err, "count cell %q of %s", r.Count, r.Day)
		h.Days = append(h.Days, r.Day)
		h.Counts = append(h.Counts, n)
	}
	return h
}

// alertShown is one row of the alerts view.
type alertShown struct {
	ID, Customer, Reason string
	// Linked: the customer cell links to the customer's view.
	Linked bool
}

// The case inbox's defaults: open cases raised in the last 90 days, the newest 200.
const alertsQuery = "days=90&limit=200&state=open"

// alerts waits for the alerts the generated data raises (ada's NPS 3: a
// detractor; eve's complaint), then requires the alerts view to list the
// API's alerts, unfiltered and filtered by reason, and a row to open the
// customer.
func (s *session) alerts(api apiClient, data *journeySet) {
	fromAPI := func(filter string) func() []alertShown {
		return func() []alertShown {
			var r struct {
				Alerts []struct {
					ID         string `json:"alert_id"`
					CustomerID string `json:"customer_id"`
					Reason     string `json:"reason"`
				} `json:"alerts"`
			}
			code, body, err := api.do(http.MethodGet, "/alerts?"+alertsQuery+filter, nil, &r)
			require.NoError(s.t, err)
			require.Equal(s.t, http.StatusOK, code, string(body))
			out := []alertShown{}
			for _, a := range r.Alerts {
				out = append(out, alertShown{ID: a.ID, Customer: a.CustomerID, Reason: a.Reason, Linked: true})
			}
			return out
		}
	}
	has := func(list []alertShown, customer, reason string) bool {
		return slices.ContainsFunc(list, func(a alertShown) bool { return a.Customer == customer && a.Reason == reason })
	}
	if s.env.scores {
		itest.Eventually(s.t, 2*time.Minute, func() bool {
			return has(fromAPI("&customer="+url.QueryEscape(data.adaUser))(), data.adaUser, "detractor") &&
				has(fromAPI("&customer="+url.QueryEscape(data.eveUser))(), data.eveUser, "complaint")
		}, "the scorer raises the generated detractor and complaint alerts")
	}
	all := settled(s, "alerts equal the API's", fromAPI(""), func() []alertShown {
		s.open("#/alerts", "alerts")
		return s.alertsShown()
	})
	if s.env.scores {
		require.NotEmpty(s.t, all, "alerts listed")
		if len(all) < 200 {
			assert.True(s.t, has(all, data.adaUser, "detractor"), "ada's detractor answer is listed")
			assert.True(s.t, has(all, data.eveUser, "complaint"), "eve's complaint is listed")
		}
	} else if len(all) == 0 {
		assert.Contains(s.t, s.text(`section.view .empty`), "No open cases")
	}
	s.shot("13-alerts")

	// Filter by reason with the form.
	s.do("filter complaints", chromedp.SetValue(chromedp.CSS(`#alerts-form select[name=reason]`), "complaint"),
		chromedp.Click(chromedp.CSS(`#alerts-form button[type=submit]`)))
	s.ready("alerts")
	assert.Equal(s.t, "#/alerts?state=open&reason=complaint&days=90", eval[string](s, `location.hash`))
	complaints := settled(s, "complaint alerts equal the API's", fromAPI("&reason=complaint"), func() []alertShown {
		s.open("#/alerts?reason=complaint", "alerts")
		return s.alertsShown()
	})
	for _, a := range complaints {
		assert.Equal(s.t, "complaint", a.Reason)
	}
	s.shot("13b-alerts-complaints")

	if s.env.scores && has(complaints, data.eveUser, "complaint") {
		s.do("open eve", chromedp.Click(chromedp.CSS(fmt.Sprintf(`#alerts-table tr[data-reason=complaint] a[href=%q]`, "#/customer/"+data.eveUser))))
		s.ready("customer")
		assert.Contains(s.t, s.text(`#profile`), data.eveUser, "the alert opens the customer's view")
		events := eval[[]string](s, `[...document.querySelectorAll('#timeline li.event')].map(li => li.dataset.event)`)
		assert.Contains(s.t, events, "Complaint Filed", "the complaint is on the timeline")
		s.shot("13c-alert-customer")
	}
	s.noConsoleErrors()
}

// reasonLabels are the reasons as the alerts view names them.
var reasonLabels = map[string]string{"Detractor answer": "detractor", "Low CSAT": "low_csat", "Complaint": "complaint",
	"Failed payment": "payment_failed", "Ticket overdue": "ticket_overdue", "Churn risk high": "churn_high",
	"Contract ending": "contract_ending", "Sleeper": "sleeper"}

// alertsShown reads the rows of the alerts table (none without a table):
// the customer link and the reason as shown.
func (s *session) alertsShown() []alertShown {
	s.t.Helper()
	rows := eval[[]alertShown](s, `[...document.querySelectorAll('#alerts-table tbody tr')].map(tr => {
	  const a = tr.querySelector('[data-field=customer] a');
	  return {ID: tr.dataset.alert, Customer: a.textContent, Reason: tr.querySelector('[data-field=reason]').textContent,
	    Linked: a.getAttribute('href') === '#/customer/' + encodeURIComponent(a.textContent)};
	})`)
	for i, r := range rows {
		if reason, ok := reasonLabels[r.Reason]; ok {
			rows[i].Reason = reason
		}
	}
	return rows
}
