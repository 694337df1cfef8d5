package ui_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cemhq/cem/pkg/itest"
)

type caseFigures struct {
	Open   int `json:"open"`
	Groups []struct {
		Reason   string `json:"reason"`
		Channel  string `json:"channel"`
		Open     int    `json:"open"`
		Resolved int    `json:"resolved"`
	} `json:"groups"`
}

func (f caseFigures) resolved(reason, channel string) int {
	for _, g := range f.Groups {
		if g.Reason == reason && g.Channel == channel {
			return g.Resolved
		}
	}
	return 0
}

// cases follows ada's detractor alert (raised by the processor as her NPS 3
// arrived) through the UI: the inbox lists it, the case page shows the
// journey around the trigger, the form assigns, contacts and resolves it
// (each change stored with the token's name, as the API shows), and the
// case figures count the resolution.
func (s *session) cases(api apiClient, data *journeySet) {
	type alertRow struct {
		ID      string `json:"alert_id"`
		State   string `json:"state"`
		Owner   string `json:"owner"`
		Channel string `json:"channel"`
	}
	var ada alertRow
	itest.Eventually(s.t, time.Minute, func() bool {
		var r struct{ Alerts []alertRow }
		code, _, err := api.do(http.MethodGet, "/alerts?days=7&reason=detractor&customer="+url.QueryEscape(data.adaUser), nil, &r)
		if err != nil || code != http.StatusOK || len(r.Alerts) == 0 {
			return false
		}
		ada = r.Alerts[0]
		return true
	}, "ada's detractor alert raised in the stream")
	require.Equal(s.t, "open", ada.State)
	figures := func() caseFigures {
		var f caseFigures
		code, body, err := api.do(http.MethodGet, "/alerts/figures?days=90", nil, &f)
		require.NoError(s.t, err)
		require.Equal(s.t, http.StatusOK, code, string(body))
		return f
	}
	before := figures()

	// The inbox lists the open case; its link opens the case page.
	s.open("#/alerts?reason=detractor&customer="+url.QueryEscape(data.adaUser), "alerts")
	assert.Equal(s.t, "open", eval[string](s, fmt.Sprintf(`document.querySelector('#alerts-table tr[data-alert=%q]').dataset.state`, ada.ID)))
	assert.Equal(s.t, fmt.Sprint(before.Open), eval[string](s, `document.querySelector('#case-figures').dataset.open`), "open cases as the API counts them")
	s.shot("14-case-inbox")
	s.do("open the case", chromedp.Click(chromedp.CSS(fmt.Sprintf(`#alerts-table tr[data-alert=%q] a.case-link`, ada.ID))))
	s.ready("case")
	journey := eval[[]string](s, `[...document.querySelectorAll('#case-journey li.event')].map(li => li.dataset.event)`)
	assert.Contains(s.t, journey, "NPS Submitted", "the journey around the trigger shows the answer")

	step := func(what, state, owner, note, want string) {
		s.t.Helper()
		actions := []chromedp.Action[chromedp.Void]{}
		if state != "" {
			actions = append(actions, chromedp.SetValue(chromedp.CSS(`#case-form select[name=state]`), state))
		}
		if owner != "" {
			actions = append(actions, chromedp.SetValue(chromedp.CSS(`#case-form input[name=owner]`), owner))
		}
		if note != "" {
			actions = append(actions, chromedp.SetValue(chromedp.CSS(`#case-form textarea[name=note]`), note))
		}
		actions = append(actions, chromedp.Click(chromedp.CSS(`#case-form button[type=submit]`)),
			chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`#case-summary[data-state=%q]`, want))))
		s.do(what, actions...)
		s.ready("case")
	}
	step("assign", "", "browser-agent", "", "assigned")
	step("contact", "contacted", "", "called ada about the checkout error", "contacted")
	s.shot("15-case-contacted")
	step("resolve", "resolved", "", "coupon sent, error fixed", "resolved")
	history := eval[[]string](s, `[...document.querySelectorAll('#case-history li')].map(li => li.dataset.state)`)
	assert.Equal(s.t, []string{"assigned", "contacted", "resolved"}, history)
	s.shot("16-case-resolved")

	var got struct {
		Alert   alertRow `json:"alert"`
		Changes []struct {
			State, Actor, Note string
		} `json:"changes"`
	}
	code, body, err := api.do(http.MethodGet, "/alerts/"+url.PathEscape(ada.ID), nil, &got)
	require.NoError(s.t, err)
	require.Equal(s.t, http.StatusOK, code, string(body))
	assert.Equal(s.t, "resolved", got.Alert.State)
	assert.Equal(s.t, "browser-agent", got.Alert.Owner)
	require.Len(s.t, got.Changes, 3)
	assert.True(s.t, strings.HasPrefix(got.Changes[0].Actor, "token-"), "the dev token's name: %s", got.Changes[0].Actor)
	assert.Equal(s.t, "coupon sent, error fixed", got.Changes[2].Note)

	// The figures count the resolution, in the API and in the inbox.
	after := figures()
	ch := ada.Channel
	if ch == "" {
		ch = "none"
	}
	assert.Equal(s.t, before.resolved("detractor", ch)+1, after.resolved("detractor", ch))
	s.open("#/alerts?state=resolved&owner=browser-agent", "alerts")
	assert.Equal(s.t, "resolved", eval[string](s, fmt.Sprintf(`document.querySelector('#alerts-table tr[data-alert=%q]').dataset.state`, ada.ID)))
	shown := eval[string](s, fmt.Sprintf(`document.querySelector('#case-figures-table tr[data-reason="detractor"][data-channel=%q] [data-field=resolved]').textContent`, ch))
	assert.Equal(s.t, fmt.Sprint(after.resolved("detractor", ch)), strings.ReplaceAll(shown, ",", ""))
	assert.Equal(s.t, fmt.Sprint(after.Open), eval[string](s, `document.querySelector('#case-figures').dataset.open`))
	s.shot("17-case-figures")
	s.noConsoleErrors()
}
