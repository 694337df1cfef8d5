package enrich

import "net/http"

// BrowserUA is the request's User-Agent when the request comes from a
// browser, else "". Browsers send Origin on every cross-origin request
// (fetch, XMLHttpRequest, CORS preflights and sendBeacon POSTs) and
// Sec-Fetch-Mode on requests to https and local addresses; server-side
// HTTP clients (curl, Go's net/http, python's urllib, Segment's server
// SDKs) send neither. Bot detection is about the end user's agent: a call
// centre's Go backend forwarding "Ticket Opened" is not a bot.
func BrowserUA(r *http.Request) string {
	if r.Header.Get("Origin") == "" && r.Header.Get("Sec-Fetch-Mode") == "" {
		return ""
	}
	return r.UserAgent()
}
