// Package ui serves the journey explorer, the web UI for CX teams: plain
// HTML, CSS and JavaScript embedded in the binary and served by the query
// service at "/". The UI calls the /api/v1 JSON API with the bearer token the
// user logs in with (kept in the browser's session storage); it loads nothing
// from other origins and draws its charts as inline SVG.
//
// browser_test.go drives the UI in headless chromium against a running stack
// (see scripts/browser-test.sh).
package ui
