package sdktest

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cemhq/cem/pkg/itest"
)

// desktopUA is a desktop Chrome's user agent: headless Chromium's own
// ("HeadlessChrome") is a bot's, and its events would be tagged as such.
const desktopUA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"

// Per SDK journey: a page, 20 tracks before login, identify, 3 tracks after.
const (
	tracksBefore = 20
	tracksAfter  = 3
	journey      = 1 + tracksBefore + 1 + tracksAfter
)

// TestBrowserSDKsIntegration drives the stock browser SDKs from npm in
// headless Chromium against the running stack, through a proxy that fails
// the collector transiently, and checks every event in ClickHouse.
func TestBrowserSDKsIntegration(t *testing.T) {
	e := loadEnv(t)
	bundle := bundlePage(t, t.TempDir())
	page := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/bundle.js" {
			http.ServeFile(w, r, bundle)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = fmt.Fprint(w, `<!doctype html><html><head><title>Shop</title></head><body><h1>Shop</h1><script src="/bundle.js"></script></body></html>`)
	}))
	t.Cleanup(page.Close)
	proxy, psrv, err := newFaultProxy(e.collector)
	require.NoError(t, err)
	t.Cleanup(psrv.Close)
	ch := clickhouse(t, e)
	b := newBrowser(t, e.chrome)

	// Each SDK's retries pass the preflight (X-Retry-Count, Rsa-Retry-*).
	for _, sc := range []struct{ name, sdk, prefix, user string }{
		{"analytics-next through the settings endpoint, with retries", "segment", "ajs", "ajs-user-"},
		{"analytics-next batching mode (/v1/b), with retries", "segment-batching", "ajsb", "ajs-user-"},
		{"RudderStack JS, with retries", "rudderstack", "rs", "rs-user-"},
	} {
		t.Run(sc.name, func(t *testing.T) {
			token := runToken(sc.prefix)
			retries := proxy.retries.Load()
			proxy.arm(3 * time.Second)
			journeyOf(t, b.open(t, page.URL, sc.sdk, psrv.URL, e.webKey, token), ch, proxy, token).assertJourney(t, sc.user+token)
			assert.Positive(t, proxy.retries.Load()-retries, "the SDK's retries went through")
		})
	}
	assert.Positive(t, proxy.forwardedFailed.Load(), "some failed answers were for stored events: their retries were duplicates")
	t.Logf("fault proxy: %d POSTs answered 503 (%d of them after the collector stored their events), %d retried requests seen",
		proxy.failed.Load(), proxy.forwardedFailed.Load(), proxy.retries.Load())

	t.Run("RudderStack beacon mode", func(t *testing.T) {
		token := runToken("rsb")
		journeyOf(t, b.open(t, page.URL, "rudderstack-beacon", psrv.URL, e.webKey, token), ch, proxy, token).assertJourney(t, "rs-user-"+token)
	})
	t.Run("navigator.sendBeacon", func(t *testing.T) {
		token := runToken("beacon")
		b.open(t, page.URL, "beacon", e.collector, e.webKey, token)
		var got counts
		itest.Eventually(t, 60*time.Second, func() bool { got = countEvents(t, ch, token); return got.total >= 1 }, "the beacon's event stored")
		assert.Equal(t, uint64(1), got.total)
		assert.Equal(t, uint64(1), got.chrome, "the browser's User-Agent is parsed (the request has an Origin)")
		assert.Equal(t, uint64(0), got.bots)
	})
}

// browser is one headless Chromium with a desktop user agent.
type browser struct {
	ctx context.Context
}

func newBrowser(t *testing.T, chrome string) *browser {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(chrome), chromedp.NoSandbox,
		chromedp.Flag("disable-gpu", true), chromedp.UserAgent(desktopUA))
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancelAlloc)
	bctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(cancel)
	require.NoError(t, chromedp.Do(bctx), "start chromium")
	return &browser{ctx: bctx}
}

// open opens the test page in a fresh browser context (its own storage:
// new anonymous ids) and waits until the page made the anonymous phase's
// calls. The tab stays open until the test ends, so the SDK keeps retrying.
func (b *browser) open(t *testing.T, pageURL, sdk, api, key, token string) *tab {
	t.Helper()
	ctx, cancel := chromedp.NewContext(b.ctx, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	tb := &tab{ctx: ctx}
	require.NoError(t, chromedp.Listen(ctx, func(ev any) {
		if ex, ok := ev.(*runtime.EventExceptionThrown); ok {
			msg := ex.ExceptionDetails.Text
			if ex.ExceptionDetails.Exception != nil {
				msg += " " + ex.ExceptionDetails.Exception.Description
			}
			tb.mu.Lock()
			tb.errors = append(tb.errors, msg)
			tb.mu.Unlock()
		}
	}))
	q := url.Values{"sdk": {sdk}, "api": {api}, "key": {key}, "token": {token},
		"tracks": {fmt.Sprint(tracksBefore)}, "after": {fmt.Sprint(tracksAfter)}}
	wctx, wcancel := context.WithTimeout(ctx, 60*time.Second)
	defer wcancel()
	require.NoError(t, chromedp.Do(wctx, chromedp.Navigate(pageURL+"/?"+q.Encode())), "open the page")
	tb.wait(t, "anonymous")
	return tb
}

// tab is one scenario's page.
type tab struct {
	ctx context.Context

	mu     sync.Mutex
	errors []string
}

// wait waits until the page's phase is done.
func (tb *tab) wait(t *testing.T, phase string) {
	t.Helper()
	wctx, cancel := context.WithTimeout(tb.ctx, 60*time.Second)
	defer cancel()
	state, err := chromedp.Run(wctx, chromedp.Poll[string](`window.cemError ? 'error: ' + window.cemError : (window.cemDone === '`+phase+`' ? 'ok' : '')`,
		chromedp.WithPollingInterval(50*time.Millisecond)))
	tb.mu.Lock()
	errs := tb.errors
	tb.mu.Unlock()
	require.NoError(t, err, "the page's %s calls return (page errors: %v)", phase, errs)
	require.Equal(t, "ok", state, "page errors: %v", errs)
}

// login runs the page's second phase: identify and the tracks after it.
func (tb *tab) login(t *testing.T) {
	t.Helper()
	require.NoError(t, chromedp.Do(tb.ctx, chromedp.Evaluate[chromedp.Void]("window.cemLogin()")))
	tb.wait(t, "done")
}

// counts are the events of one scenario in ClickHouse.
type counts struct {
	total, ids, pages, identifies, tracks, anonymous, web, chrome, linux, desktop, bots uint64
}

// countEvents counts the events carrying token, without FINAL: a
// duplicate stored twice would show.
func countEvents(t *testing.T, ch driver.Conn, token string) counts {
	t.Helper()
	var c counts
	err := ch.QueryRow(context.Background(), `
		SELECT count(), uniqExact(event_id), countIf(type = 'page'), countIf(type = 'identify'), countIf(type = 'track'),
		       countIf(user_id = ''), countIf(channel = 'web'), countIf(browser = 'Chrome'), countIf(os = 'Linux'),
		       countIf(device_type = 'desktop'), countIf(is_bot = 1)
		FROM events
		WHERE position(properties, ?) > 0 OR position(traits, ?) > 0 OR position(context, ?) > 0`, token, token, token).
		Scan(&c.total, &c.ids, &c.pages, &c.identifies, &c.tracks, &c.anonymous, &c.web, &c.chrome, &c.linux, &c.desktop, &c.bots)
	require.NoError(t, err)
	return c
}

// stitched counts the events carrying token that belong to user's
// identity cluster (read through customer_ids, as the timeline does).
func stitched(t *testing.T, ch driver.Conn, token, user string) uint64 {
	t.Helper()
	var n uint64
	err := ch.QueryRow(context.Background(), `
		SELECT count() FROM events FINAL
		WHERE (position(properties, ?) > 0 OR position(traits, ?) > 0 OR position(context, ?) > 0)
		  AND customer_key IN (SELECT id FROM customer_ids FINAL WHERE customer_id = ? AND deleted = 0 UNION ALL SELECT ?)`,
		token, token, token, user, user).Scan(&n)
	require.NoError(t, err)
	return n
}

type journeyResult struct {
	counts
	ch    driver.Conn
	token string
}

// journeyOf plays a journey: once the anonymous phase is stored (all of
// it: the user browses before logging in) and the proxy has been quiet for
// 2 s (no retry still on its way), the page logs in; then it waits for the
// rest and counts.
func journeyOf(t *testing.T, tb *tab, ch driver.Conn, p *faultProxy, token string) journeyResult {
	t.Helper()
	stored := func(n uint64) func() bool {
		return func() bool { return countEvents(t, ch, token).total >= n && p.quietFor() > 2*time.Second }
	}
	itest.Eventually(t, 90*time.Second, stored(1+tracksBefore), fmt.Sprintf("the anonymous events of %s stored", token))
	tb.login(t)
	itest.Eventually(t, 90*time.Second, stored(journey), fmt.Sprintf("%d events of %s stored", journey, token))
	return journeyResult{counts: countEvents(t, ch, token), ch: ch, token: token}
}

// assertJourney checks exact counts: every event once, the anonymous ones
// stitched to the user, channel web, browser and OS parsed, no bot.
func (j journeyResult) assertJourney(t *testing.T, user string) {
	t.Helper()
	c := j.counts
	assert.Equal(t, uint64(journey), c.total, "events stored (rows, without FINAL)")
	assert.Equal(t, uint64(journey), c.ids, "distinct events")
	assert.Equal(t, uint64(1), c.pages, "pages")
	assert.Equal(t, uint64(1), c.identifies, "identifies")
	assert.Equal(t, uint64(tracksBefore+tracksAfter), c.tracks, "tracks")
	assert.Equal(t, uint64(1+tracksBefore), c.anonymous, "events before identify carry no userId")
	assert.Equal(t, uint64(journey), c.web, "channel web")
	assert.Equal(t, uint64(journey), c.chrome, "browser parsed")
	assert.Equal(t, uint64(journey), c.linux, "OS parsed")
	assert.Equal(t, uint64(journey), c.desktop, "device type")
	assert.Zero(t, c.bots, "no bot")
	var n uint64
	itest.Eventually(t, 60*time.Second, func() bool { n = stitched(t, j.ch, j.token, user); return n >= journey },
		"the anonymous events are stitched to "+user)
	assert.Equal(t, uint64(journey), n, "events in %s's timeline", user)
}
