package ui_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/cdp"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cemhq/cem/pkg/itest"
)

// browserEnv is the browser test's configuration from the environment
// (set by scripts/browser-test.sh).
type browserEnv struct {
	query, collector, token, chrome, shots string
	// scores: the stack scores every few seconds (CEM_BROWSER_EXPECT_SCORES=1),
	// so segments, snapshots and alerts must get rows.
	scores bool
}

func loadBrowserEnv(t *testing.T) browserEnv {
	t.Helper()
	e := browserEnv{
		query:     os.Getenv("CEM_BROWSER_QUERY_URL"),
		collector: os.Getenv("CEM_BROWSER_COLLECTOR_URL"),
		token:     os.Getenv("CEM_BROWSER_TOKEN"),
		chrome:    os.Getenv("CEM_BROWSER_CHROME"),
		shots:     os.Getenv("CEM_BROWSER_SCREENSHOTS"),
		scores:    os.Getenv("CEM_BROWSER_EXPECT_SCORES") == "1",
	}
	if e.query == "" || e.collector == "" {
		t.Skip("browser test skipped: set CEM_BROWSER_QUERY_URL and CEM_BROWSER_COLLECTOR_URL to a running stack (scripts/browser-test.sh does)")
	}
	if e.token == "" {
		e.token = "cem-dev-query-token"
	}
	if e.chrome == "" {
		e.chrome = "/usr/bin/chromium"
	}
	if _, err := exec.LookPath(e.chrome); err != nil {
		if os.Getenv("CEM_TEST_INTEGRATION") == "1" {
			t.Fatalf("chromium not found at %s (install it with apt-get install chromium): %v", e.chrome, err)
		}
		t.Skipf("browser test skipped: chromium not found at %s", e.chrome)
	}
	if e.shots == "" {
		e.shots = filepath.Join(repoRoot(t), "out", "screenshots")
	}
	require.NoError(t, os.MkdirAll(e.shots, 0o755))
	return e
}

// repoRoot is the folder holding go.work above the test's folder.
func repoRoot(t *testing.T) string {
	dir, err := os.Getwd()
	require.NoError(t, err)
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.work")); err == nil {
			return d
		}
		if filepath.Dir(d) == d {
			return dir
		}
	}
}

// consoleWatch collects console errors, uncaught exceptions and error log
// entries of the page.
type consoleWatch struct {
	mu   sync.Mutex
	errs []string
}

func (w *consoleWatch) add(s string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.errs = append(w.errs, s)
}

func (w *consoleWatch) take() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := w.errs
	w.errs = nil
	return out
}

func (w *consoleWatch) listen(ev any) {
	switch ev := ev.(type) {
	case *runtime.EventConsoleAPICalled:
		if ev.Type == runtime.ConsoleAPICalledTypeError || ev.Type == runtime.ConsoleAPICalledTypeAssert {
			var parts []string
			for _, a := range ev.Args {
				parts = append(parts, string(a.Value)+a.Description)
			}
			w.add("console." + string(ev.Type) + ": " + strings.Join(parts, " "))
		}
	case *runtime.EventExceptionThrown:
		d := ev.ExceptionDetails
		msg := d.Text
		if d.Exception != nil {
			msg += " " + d.Exception.Description
		}
		w.add(fmt.Sprintf("uncaught exception at %s:%d: %s", d.URL, d.LineNumber, msg))
	case *cdplog.EventEntryAdded:
		if ev.Entry.Level == cdplog.EntryLevelError {
			w.add(fmt.Sprintf("log %s: %s %s", ev.Entry.Source, ev.Entry.Text, ev.Entry.URL))
		}
	}
}

// TestJourneyExplorerBrowser drives the UI in headless chromium against a
// running stack: generated journeys are posted through the collector, then
// the test logs in, finds a customer and checks the cross-channel timeline,
// builds a funnel and compares its numbers with the API, opens a segment
// and exports it as CSV, compares a segment's size per day and the open
// alerts with the API, and visits the other pages. Every page is saved as
// a screenshot; any console error or uncaught exception fails the test.
func TestJourneyExplorerBrowser(t *testing.T) {
	env := loadBrowserEnv(t)
	api := apiClient{base: env.query, token: env.token}
	data := newJourneySet(time.Now())
	data.post(t, env.collector)
	var why string
	itest.Eventually(t, 90*time.Second, func() bool {
		ok, reason := data.visible(api)
		if !ok && reason != why {
			why = reason
			t.Logf("waiting for the generated journeys: %s", reason)
		}
		return ok
	}, "generated journeys visible through the query API")

	b := newSession(t, env)
	if !t.Run("login", func(t *testing.T) { b.t = t; b.login() }) {
		return
	}
	t.Run("customer timeline", func(t *testing.T) { b.t = t; b.customer(data) })
	t.Run("funnel equals API", func(t *testing.T) { b.t = t; b.funnel(api, data) })
	t.Run("segment CSV export", func(t *testing.T) { b.t = t; b.segment(api, data) })
	t.Run("segment history equals API", func(t *testing.T) { b.t = t; b.segmentHistory(api) })
	t.Run("alerts equal API", func(t *testing.T) { b.t = t; b.alerts(api, data) })
	t.Run("case workflow", func(t *testing.T) { b.t = t; b.cases(api, data) })
	t.Run("other pages", func(t *testing.T) { b.t = t; b.otherPages() })
}

// session is one browser tab: a headless chromium of its own, a console
// watch and the CSV downloads of the tab.
type session struct {
	t         *testing.T
	ctx       context.Context
	env       browserEnv
	watch     *consoleWatch
	downloads chan string
}

// newSession starts chromium (stopped at the end of the test) with
// downloads allowed into a temporary folder.
func newSession(t *testing.T, env browserEnv) *session {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(env.chrome), chromedp.NoSandbox,
		chromedp.Flag("disable-gpu", true), chromedp.WindowSize(1366, 900))
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancelAlloc)
	bctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(cancel)
	require.NoError(t, chromedp.Do(bctx), "start chromium")
	s := &session{t: t, env: env, watch: &consoleWatch{}, downloads: make(chan string, 4)}
	require.NoError(t, chromedp.Listen(bctx, s.watch.listen))
	_, err := chromedp.Call(bctx, cdplog.Enable, cdp.Empty{})
	require.NoError(t, err)
	dlDir := t.TempDir()
	require.NoError(t, chromedp.ListenBrowser(bctx, func(ev any) {
		if p, ok := ev.(*browser.EventDownloadProgress); ok && p.State == browser.DownloadProgressStateCompleted {
			select {
			case s.downloads <- filepath.Join(dlDir, p.GUID):
			default:
			}
		}
	}))
	_, err = chromedp.CallBrowser(bctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
		Behavior: browser.SetDownloadBehaviorBehaviorAllowAndName, DownloadPath: dlDir, EventsEnabled: new(true),
	})
	require.NoError(t, err)
	ctx, cancelTimeout := context.WithTimeout(bctx, 4*time.Minute)
	t.Cleanup(cancelTimeout)
	s.ctx = ctx
	return s
}

func (s *session) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	s.t.Helper()
	require.NoError(s.t, chromedp.Do(s.ctx, steps...), what)
}

// eval evaluates a JavaScript expression in the page.
func eval[T any](s *session, js string) T {
	s.t.Helper()
	v, err := chromedp.Run(s.ctx, chromedp.Evaluate[T](js))
	require.NoError(s.t, err, "evaluate %s", js)
	return v
}

func (s *session) text(sel string) string {
	s.t.Helper()
	v, err := chromedp.Run(s.ctx, chromedp.Text(chromedp.CSS(sel)))
	require.NoError(s.t, err, "text of %s", sel)
	return v
}

// open navigates to a UI route and waits until its view is ready.
func (s *session) open(hash, view string) {
	s.t.Helper()
	s.do("open "+hash, chromedp.Navigate(strings.TrimRight(s.env.query, "/")+"/"+hash))
	s.ready(view)
}

// ready waits for the view rendered for the current location to finish
// loading and requires no error box. A form that changes the hash replaces
// the view only at the next hashchange event, so the section must carry the
// current hash (data-hash): the previous, ready section does not count.
func (s *session) ready(view string) {
	s.t.Helper()
	sel := fmt.Sprintf(`section.view[data-view=%q]`, view)
	current := fmt.Sprintf(`(() => { const v = document.querySelector('section.view');
  return !!v && v.dataset.view === %q && v.dataset.hash === location.hash && v.dataset.state !== 'loading'; })()`, view)
	wctx, cancel := context.WithTimeout(s.ctx, 45*time.Second)
	defer cancel()
	if err := chromedp.Do(wctx, chromedp.Poll[chromedp.Void](current, chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(45*time.Second))); err != nil {
		loc, _ := chromedp.Run(s.ctx, chromedp.Evaluate[string](`location.hash + ' ' + document.querySelector('main').innerText.slice(0, 400)`))
		s.t.Fatalf("view %s not ready: %v; page: %s", view, err, loc)
	}
	state, err := chromedp.Run(s.ctx, chromedp.AttributeValue(chromedp.CSS(sel), "data-state"))
	require.NoError(s.t, err)
	if state.Value != "ready" {
		s.t.Fatalf("view %s ended in state %q: %s", view, state.Value, s.text(sel))
	}
}

// shot writes a full-page PNG and fails on console errors so far.
func (s *session) shot(name string) {
	s.t.Helper()
	buf, err := chromedp.Run(s.ctx, chromedp.FullScreenshot(100))
	require.NoError(s.t, err, "screenshot "+name)
	require.NoError(s.t, os.WriteFile(filepath.Join(s.env.shots, name+".png"), buf, 0o644))
	s.noConsoleErrors()
}

func (s *session) noConsoleErrors() {
	s.t.Helper()
	if errs := s.watch.take(); len(errs) > 0 {
		s.t.Errorf("browser console errors:\n%s", strings.Join(errs, "\n"))
	}
}

func (s *session) login() {
	s.do("open UI", chromedp.Navigate(strings.TrimRight(s.env.query, "/")+"/"))
	s.ready("login")
	navHidden := eval[bool](s, `getComputedStyle(document.getElementById('nav')).display === 'none'`)
	assert.True(s.t, navHidden, "no navigation before login")
	s.shot("01-login")

	// A wrong token is refused with a message; the browser logs the 401.
	s.do("wrong token",
		chromedp.SendKeys(chromedp.CSS(`#token`), "not-a-valid-token-"+fmt.Sprint(time.Now().UnixNano())),
		chromedp.Click(chromedp.CSS(`#login-submit`)),
		chromedp.WaitVisible(chromedp.CSS(`#login-error`)))
	assert.Contains(s.t, s.text(`#login-error`), "not accepted")
	logged := s.watch.take()
	assert.NotEmpty(s.t, logged, "the console watch sees the refused request (proves it works)")
	for _, e := range logged {
		assert.Contains(s.t, e, "401", "only the refused login is logged")
	}
	eval[bool](s, `document.getElementById('token').value = ''; true`)
	s.do("log in",
		chromedp.SendKeys(chromedp.CSS(`#token`), s.env.token),
		chromedp.Click(chromedp.CSS(`#login-submit`)))
	s.ready("customers")
	stored := eval[string](s, `sessionStorage.getItem('cem.token')`)
	assert.Equal(s.t, s.env.token, stored, "token kept in session storage")
	s.shot("02-customers-empty")
}

func (s *session) customer(data *journeySet) {
	s.open("#/customers", "customers")
	s.do("search by e-mail",
		chromedp.SendKeys(chromedp.CSS(`#customer-q`), data.adaEmail),
		chromedp.Click(chromedp.CSS(`#customer-search`)))
	s.ready("customer")
	hash := eval[string](s, `location.hash`)
	assert.Contains(s.t, hash, "#/customer/", "one match opens the customer view")
	profile := s.text(`#profile`)
	assert.Contains(s.t, profile, data.adaEmail)
	assert.Contains(s.t, profile, data.adaAnon, "anonymous id linked to the customer")

	type item struct {
		Channel  string `json:"channel"`
		Event    string `json:"event"`
		Class    string `json:"class"`
		Answer   string `json:"answer"`
		Negative bool   `json:"negative"`
	}
	items := eval[[]item](s, `[...document.querySelectorAll('#timeline li.event')].map(li => ({channel: li.dataset.channel, event: li.dataset.event,
	  class: li.className, answer: (li.querySelector('.answer')||{}).textContent || '', negative: li.classList.contains('negative')}))`)
	require.Len(s.t, items, data.counts[data.adaUser], "every event of the customer on the timeline")
	var channels, events []string
	for _, it := range items {
		channels = append(channels, it.Channel)
		events = append(events, it.Event)
		switch it.Event {
		case "NPS Submitted":
			assert.Equal(s.t, "NPS 3", it.Answer, "survey answer shown")
			assert.Contains(s.t, it.Class, "survey bad", "detractor answer highlighted")
		case "Error Shown":
			assert.True(s.t, it.Negative, "negative experience highlighted")
		}
	}
	assert.True(s.t, containsAll(channels, "web", "app", "phone", "email"), "cross-channel timeline, got %v", channels)
	assert.True(s.t, containsAll(events, "page: Home", "Product Viewed", "Order Completed", "Ticket Opened", "NPS Submitted", "Error Shown"),
		"anonymous pre-login visit and every channel's events, got %v", events)
	sessions := eval[int](s, `document.querySelectorAll('#timeline .session').length`)
	assert.Positive(s.t, sessions, "events grouped by session")
	s.shot("03-customer")

	// The channel filter shows only the phone calls.
	s.do("filter phone", chromedp.Click(chromedp.CSS(`#channel-filter a[data-channel=phone]`)))
	s.ready("customer")
	s.do("filtered", chromedp.WaitVisible(chromedp.CSS(`#channel-filter a.on[data-channel=phone]`)))
	phone := eval[[]string](s, `[...document.querySelectorAll('#timeline li.event')].map(li => li.dataset.channel)`)
	assert.Len(s.t, phone, data.sent("dev-callcenter-key", data.adaUser), "the customer's call-centre events")
	for _, c := range phone {
		assert.Equal(s.t, "phone", c)
	}
	s.shot("03b-customer-phone")
}

func (s *session) funnel(api apiClient, data *journeySet) {
	steps := []string{"Product Viewed", "Checkout Started", "Order Completed"}
	s.open("#/funnels", "funnels")
	s.shot("04-funnel-builder")
	// Build the funnel step by step: clear the default steps and type ours.
	eval[bool](s, `document.querySelectorAll('#funnel-steps input[name=step]').forEach(i => { i.value = '' }); true`)
	for i, st := range steps {
		s.do("type step", chromedp.SendKeys(chromedp.CSS(fmt.Sprintf(`#funnel-steps li:nth-child(%d) input[name=step]`, i+1)), st))
	}
	s.do("window 1 day", chromedp.SetValue(chromedp.CSS(`#funnel-form select[name=window]`), "86400"))
	s.do("run", chromedp.Click(chromedp.CSS(`#funnel-run`)))
	s.ready("funnels")
	s.do("table", chromedp.WaitVisible(chromedp.CSS(`#funnel-table`)))

	ui := eval[[]uint64](s, `[...document.querySelectorAll('#funnel-table tbody tr')].map(tr => Number(tr.querySelector('[data-field=customers]').textContent))`)
	var want funnelResp
	code, body, err := api.do(http.MethodPost, "/funnels", funnelBody(steps, 86400, 0), &want)
	require.NoError(s.t, err)
	require.Equal(s.t, http.StatusOK, code, string(body))
	assert.Equal(s.t, want.counts(), ui, "funnel numbers in the UI equal the API's")
	require.Len(s.t, want.Steps, 3)
	// The generated customers count: ada, bo, cy, dee viewed; ada, bo, dee
	// checked out; ada and dee ordered (others may exist in the database).
	assert.GreaterOrEqual(s.t, want.Steps[0].Customers, uint64(4))
	assert.GreaterOrEqual(s.t, want.Steps[2].Customers, uint64(2))
	conv := eval[[]string](s, `[...document.querySelectorAll('#funnel-table [data-field=conversion_from_first]')].map(td => td.textContent)`)
	require.Len(s.t, conv, len(want.Steps))
	for i, st := range want.Steps {
		var pct float64
		_, err := fmt.Sscanf(conv[i], "%f%%", &pct)
		require.NoError(s.t, err, "conversion cell %q", conv[i])
		assert.InDelta(s.t, 100*st.ConversionFromFirst, pct, 0.051, "conversion from first of step %d", i+1)
	}
	groups := eval[int](s, `document.querySelectorAll('#funnel-breakdown tbody tr').length`)
	assert.Positive(s.t, groups, "breakdown by channel shown")

	// Drop-off after step 1: cy only viewed a product.
	s.do("click step 1", chromedp.Click(chromedp.CSS(`#funnel-table [data-drop-step="1"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#dropoff-list`)))
	dropped := eval[[]string](s, `[...document.querySelectorAll('#dropoff-list a')].map(a => a.textContent)`)
	var wantDrop funnelResp
	code, body, err = api.do(http.MethodPost, "/funnels", funnelBody(steps, 86400, 1), &wantDrop)
	require.NoError(s.t, err)
	require.Equal(s.t, http.StatusOK, code, string(body))
	require.NotNil(s.t, wantDrop.Dropoff)
	assert.Equal(s.t, wantDrop.Dropoff.Customers, dropped, "drop-off list equals the API's")
	if len(wantDrop.Dropoff.Customers) < 100 {
		assert.Contains(s.t, dropped, data.cyAnon, "the customer who only viewed is listed as dropped after step 1")
	}
	s.shot("05-funnel")

	// A property filter on the last step: orders of at least 100 (ada's 120,
	// not dee's 45.50).
	s.do("add filter", chromedp.Click(chromedp.CSS(`#funnel-steps li:nth-child(3) button[title="add a property filter"]`)),
		chromedp.SendKeys(chromedp.CSS(`#funnel-steps li:nth-child(3) input[name=property]`), "revenue"),
		chromedp.SetValue(chromedp.CSS(`#funnel-steps li:nth-child(3) select[name=op]`), "gte"),
		chromedp.SendKeys(chromedp.CSS(`#funnel-steps li:nth-child(3) input[name=value]`), "100"),
		chromedp.Click(chromedp.CSS(`#funnel-run`)))
	s.ready("funnels")
	s.do("filtered table", chromedp.WaitVisible(chromedp.CSS(`#funnel-table`)))
	filtered := eval[[]uint64](s, `[...document.querySelectorAll('#funnel-table tbody tr')].map(tr => Number(tr.querySelector('[data-field=customers]').textContent))`)
	where := map[int][]map[string]any{2: {{"property": "revenue", "op": "gte", "value": 100}}}
	var wantF funnelResp
	code, body, err = api.do(http.MethodPost, "/funnels", funnelBody(steps, 86400, 0, where), &wantF)
	require.NoError(s.t, err)
	require.Equal(s.t, http.StatusOK, code, string(body))
	assert.Equal(s.t, wantF.counts(), filtered, "filtered funnel in the UI equals the API's")
	require.Len(s.t, wantF.Steps, 3)
	assert.Less(s.t, wantF.Steps[2].Customers, want.Steps[2].Customers, "the filter leaves out the small order")
	s.shot("05b-funnel-filter")
}

func (s *session) segment(api apiClient, data *journeySet) {
	if s.env.scores {
		// The stack scores every few seconds (test.sh): wait until a run
		// has scored the generated customers, so that the UI and the API
		// read the same, settled membership.
		itest.Eventually(s.t, 2*time.Minute, func() bool {
			var m struct {
				Members []struct {
					CustomerID string `json:"customer_id"`
				} `json:"members"`
			}
			c, _, err := api.do(http.MethodGet, "/segments/detractors?limit=1000", nil, &m)
			if err != nil || c != http.StatusOK {
				return false
			}
			for _, mem := range m.Members {
				if mem.CustomerID == data.adaUser {
					return true
				}
			}
			return false
		}, "the scorer lists the generated detractor")
	}
	var list struct {
		Segments []struct {
			Name string `json:"name"`
		} `json:"segments"`
	}
	code, body, err := api.do(http.MethodGet, "/segments", nil, &list)
	require.NoError(s.t, err)
	require.Equal(s.t, http.StatusOK, code, string(body))
	s.open("#/segments", "segments")
	if len(list.Segments) == 0 {
		text := s.text(`section.view .empty`)
		assert.Contains(s.t, text, "No segments")
		s.shot("06-segments")
		s.t.Skip("the query service registers no segments yet: checked the empty state; segment list and CSV export not testable")
	}
	_, err = chromedp.Run(s.ctx, chromedp.Poll[bool](`[...document.querySelectorAll('[data-segment-count]')].every(e => e.textContent !== '…')`))
	require.NoError(s.t, err, "segment counts")
	assert.NotContains(s.t, s.text(`#segment-list`), "unavailable", "every segment count loads")
	s.shot("06-segments")

	// Open the segment with the most members (the first when all are empty).
	name := list.Segments[0].Name
	best := -1
	for _, sg := range list.Segments {
		var m struct {
			Members []any `json:"members"`
		}
		if c, _, err := api.do(http.MethodGet, "/segments/"+url.PathEscape(sg.Name)+"?limit=100", nil, &m); err == nil && c == http.StatusOK && len(m.Members) > best {
			best, name = len(m.Members), sg.Name
		}
	}
	s.do("open segment", chromedp.Click(chromedp.CSS(fmt.Sprintf(`[data-segment=%q]`, name))))
	s.ready("segment")
	rows := eval[[]string](s, `[...document.querySelectorAll('#segment-table tbody tr td:first-child a')].map(a => a.textContent)`)
	var m struct {
		Members []struct {
			CustomerID string `json:"customer_id"`
		} `json:"members"`
	}
	code, body, err = api.do(http.MethodGet, "/segments/"+url.PathEscape(name)+"?limit=100", nil, &m)
	require.NoError(s.t, err)
	require.Equal(s.t, http.StatusOK, code, string(body))
	ids := []string{}
	for _, mem := range m.Members {
		ids = append(ids, mem.CustomerID)
	}
	assert.Equal(s.t, ids, rows, "segment rows equal the API's members")
	s.shot("07-segment")

	s.do("export", chromedp.Click(chromedp.CSS(`#segment-export`)))
	var file string
	select {
	case file = <-s.downloads:
	case <-time.After(30 * time.Second):
		s.t.Fatal("no CSV download within 30s")
	}
	got, err := os.ReadFile(file)
	require.NoError(s.t, err)
	_, want, err := api.do(http.MethodGet, "/segments/"+url.PathEscape(name)+"?format=csv&limit=10000", nil, nil)
	require.NoError(s.t, err)
	assert.Equal(s.t, string(want), string(got), "downloaded CSV equals the API's CSV")
	assert.True(s.t, strings.HasPrefix(string(got), "customer_id"), "CSV has a header")
	if len(rows) > 0 {
		s.do("row links to the customer", chromedp.Click(chromedp.CSS(`#segment-table tbody tr td:first-child a`)))
		s.ready("customer")
		s.shot("07b-segment-member")
	}
	s.noConsoleErrors()
}

func (s *session) otherPages() {
	pages := []struct {
		hash, view, shot string
		checks           []string
	}{
		{"#/experience?metric=nps&grain=day&min_n=1", "experience", "08-experience",
			[]string{"#exp-tiles", "#worst-touchpoints", "#exp-channels", "#exp-journeys", "#service-table"}},
		{"#/retention?cohort=first_seen&grain=day&periods=7", "retention", "09-retention", []string{"#retention-table"}},
		{"#/paths?anchor=Product%20Viewed&direction=next&depth=3", "paths", "10-paths", []string{"#paths-table", "svg.chart path.link", "#paths-range"}},
	}
	for _, p := range pages {
		s.open(p.hash, p.view)
		for _, c := range p.checks {
			n := eval[int](s, fmt.Sprintf(`document.querySelectorAll(%q).length`, c))
			assert.Positive(s.t, n, "%s shows %s", p.view, c)
		}
		s.shot(p.shot)
	}
	// An unknown customer shows a clear error, not a blank page.
	s.open("#/customers?q=bt-nobody-"+fmt.Sprint(time.Now().UnixNano()), "customers")
	text := s.text(`section.view .empty`)
	assert.Contains(s.t, text, "No customer found")
	s.shot("11-customer-not-found")
}
