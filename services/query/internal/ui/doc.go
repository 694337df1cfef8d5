// Package ui serves the journey explorer, the web UI for CX teams: plain
// HTML, CSS and JavaScript embedded in the binary and served by the query
// service at "/" (assets under /assets/). The UI calls the /api/v1 JSON API
// with the bearer token the user logs in with, kept in the browser tab's
// session storage; it loads nothing from other origins (a strict
// Content-Security-Policy enforces it) and draws its charts as inline SVG.
//
// Pages (hash routes): #/customers (search by id, e-mail or name),
// #/customer/{id} (360 profile, scores and reasons, cross-channel timeline by
// session), #/funnels, #/experience, #/segments and #/segment/{name}
// (members, CSV export, size per day from the score snapshots), #/alerts
// (open closed-loop alerts, filtered by reason, days or customer),
// #/retention, #/paths. Every view marks its section with data-view and
// data-state (loading, ready, error), which the browser test waits for; so
// does the segment history card, which reloads on its own.
//
// browser_test.go drives the UI in headless chromium (chromedp) against a
// running stack. It is skipped unless CEM_BROWSER_QUERY_URL and
// CEM_BROWSER_COLLECTOR_URL are set, and fails when chromium is missing and
// CEM_TEST_INTEGRATION=1; scripts/browser-test.sh sets everything:
//
//	./scripts/browser-test.sh http://127.0.0.1:8090 http://127.0.0.1:8080
//
// Other settings: CEM_BROWSER_TOKEN (default cem-dev-query-token),
// CEM_BROWSER_CHROME (default /usr/bin/chromium), CEM_BROWSER_SCREENSHOTS
// (default out/screenshots in the repository root), CEM_BROWSER_EXPECT_SCORES
// (1: the stack scores every few seconds, so the test waits for segment
// members, snapshots and alerts and requires them; default unset).
package ui
