// Package sdktest holds the collector's tests against the stock SDKs as
// their users run them, outside the collector's process: analytics-next and
// RudderStack JS in headless Chromium (bundled from npm with esbuild),
// Segment's analytics-go, curl and python's urllib, against a running stack
// (scripts/browser-test.sh, started by scripts/test.sh), with the results
// read from ClickHouse. It has no non-test code.
package sdktest
