package app_test

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cemhq/cem/pkg/chconn"
	"github.com/cemhq/cem/pkg/itest"
	"github.com/cemhq/cem/pkg/telemetry"
	"github.com/cemhq/cem/services/query/internal/app"
)

// TestSlowlorisIntegration runs the query service as it runs in production
// (app.Run, with its HTTP server) and opens 1,000 connections without a
// token from ten attacker addresses, each sending headers, Content-Length:
// 60000 and then one byte a second. None is held: the service answers 401
// without reading the body and closes the connection (before the fix 1,500
// such POSTs stayed open for 60 s, the server had no read timeout), and a
// client with a token is served throughout. A slow body with a token is cut
// by the minimum body rate.
func TestSlowlorisIntegration(t *testing.T) {
	_, addr, db := itest.ClickHouse(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	host := ln.Addr().String()
	_ = ln.Close()
	cfg := app.Config{HTTPAddr: host, Query: app.Query{
		Tokens: []string{testToken}, Timeout: 30 * time.Second, EraseTimeout: time.Minute, MaxRows: 1000,
		ExportMaxRows: 10000, MinN: 5, ServiceTargets: "*=2h/8h", Migrate: true, ShutdownTimeout: 5 * time.Second,
	}, HTTPConfig: telemetry.HTTPConfig{BodyGrace: 2 * time.Second}}
	cfg.ClickHouse = chconn.Config{Addr: addr, Database: db}
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- app.Run(ctx, cfg, slog.New(slog.DiscardHandler), telemetry.NewRegistry("query", "test"))
	}()
	t.Cleanup(func() { stop(); <-done })
	url := "http://" + host
	get := func() (int, time.Duration) {
		req, _ := http.NewRequest(http.MethodGet, url+"/api/v1/segments", nil)
		req.Header.Set("Authorization", "Bearer "+testToken)
		start := time.Now()
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0, time.Since(start)
		}
		_ = resp.Body.Close()
		return resp.StatusCode, time.Since(start)
	}
	itest.Eventually(t, 60*time.Second, func() bool { c, _ := get(); return c == http.StatusOK }, "query service up")

	body := []byte(strings.Repeat("x", 60000))
	// With a token: a JSON document the handler keeps waiting for.
	open := []byte(`{"steps":"` + strings.Repeat("x", 60000-10))
	head := func(auth string) string {
		return fmt.Sprintf("POST /api/v1/funnels HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: %d%s", host, len(body), auth)
	}
	actx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var (
		wg      sync.WaitGroup
		lat     itest.Outcomes
		noToken itest.AttackStats
		token   itest.AttackStats
	)
	wg.Go(func() {
		itest.Attack(actx, host, 1000, 3, time.Second, itest.HeldRequest{Head: head(""), Body: body, Hold: len(body) - 1}, &noToken)
	})
	wg.Go(func() {
		itest.Attack(actx, host, 50, 1, time.Second, itest.HeldRequest{Head: head("\r\nAuthorization: Bearer " + testToken), Body: open, Hold: len(open) - 10}, &token)
	})
	wg.Go(func() {
		for actx.Err() == nil {
			lat.Add(get())
			select {
			case <-actx.Done():
			case <-time.After(20 * time.Millisecond):
			}
		}
	})
	wg.Wait()

	codes := lat.Codes()
	t.Logf("slow POSTs without a token: %s", noToken.Summary())
	t.Logf("slow POSTs with a token: %s", token.Summary())
	t.Logf("legitimate: codes %v, latency p50 %s p99 %s max %s", codes, lat.Quantile(.5), lat.Quantile(.99), lat.Quantile(1))
	assert.GreaterOrEqual(t, noToken.Sent.Load(), int64(1000))
	assert.Equal(t, int(noToken.Sent.Load()), noToken.Codes()[http.StatusUnauthorized], "every slow POST without a token answered 401")
	assert.Less(t, noToken.Quantile(1), 2*time.Second, "none held")
	assert.Equal(t, 50, token.Codes()[http.StatusRequestTimeout], "slow bodies with a token are cut with 408: %v", token.Codes())
	assert.Less(t, token.Quantile(1), 5*time.Second, "cut after about the 2 s grace")
	assert.Greater(t, token.Quantile(0), 1500*time.Millisecond, "by the body deadline")
	assert.Greater(t, codes[http.StatusOK], 20, "the client with a token was served")
	assert.Equal(t, len(lat.Codes()), 1, "only 200s: %v", codes)
}
