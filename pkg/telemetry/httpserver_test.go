package telemetry_test

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cemhq/cem/pkg/telemetry"
)

// serve runs h behind HTTPConfig.Server on a loopback port.
func serve(t *testing.T, c telemetry.HTTPConfig, h http.Handler) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	srv := c.Server(h)
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return ln.Addr().String()
}

// slowPost sends the headers of a POST with a body of n bytes and then one
// byte every interval; it returns the connection and a reader of the answer.
func slowPost(t *testing.T, addr string, n int) (net.Conn, *bufio.Reader) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	_, err = fmt.Fprintf(c, "POST /x HTTP/1.1\r\nHost: t\r\nContent-Length: %d\r\n\r\n", n)
	require.NoError(t, err)
	return c, bufio.NewReader(c)
}

func TestGuardCutsASlowBody(t *testing.T) {
	readErr := make(chan error, 1)
	addr := serve(t, telemetry.HTTPConfig{BodyGrace: 300 * time.Millisecond, BodyMinRate: 1000},
		http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, err := io.ReadAll(r.Body)
			readErr <- err
			if telemetry.IsSlowBody(err) {
				http.Error(w, "slow", http.StatusRequestTimeout)
			}
		}))
	c, _ := slowPost(t, addr, 1000)
	start := time.Now()
	stop := time.After(10 * time.Second)
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for sent := 0; sent < 50; sent++ { // 10 bytes/s: far below the minimum rate
		select {
		case err := <-readErr:
			assert.True(t, telemetry.IsSlowBody(err), "read error %v is the body deadline", err)
			// 0.3 s grace + the bytes' allowance (1 ms each).
			assert.Less(t, time.Since(start), 2*time.Second)
			return
		case <-stop:
			t.Fatal("the slow body was not cut")
		case <-tick.C:
			_, _ = c.Write([]byte("x"))
		}
	}
	t.Fatal("the slow body was read to its end")
}

func TestGuardClosesUnreadBodies(t *testing.T) {
	addr := serve(t, telemetry.HTTPConfig{BodyGrace: time.Minute, BodyTimeout: time.Hour},
		http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			http.Error(w, "no", http.StatusUnauthorized) // without reading the body
		}))
	c, rd := slowPost(t, addr, 100000)
	require.NoError(t, c.SetReadDeadline(time.Now().Add(5*time.Second)))
	resp, err := http.ReadResponse(rd, nil)
	require.NoError(t, err, "the answer comes before the body was sent")
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	assert.True(t, resp.Close, "Connection: close")
	_, _ = io.Copy(io.Discard, resp.Body)
	_, err = rd.ReadByte()
	assert.ErrorIs(t, err, io.EOF, "the server closed the connection without waiting for the body")
}

func TestGuardKeepsLongHandlersAlive(t *testing.T) {
	done := make(chan error, 1)
	addr := serve(t, telemetry.HTTPConfig{BodyGrace: 100 * time.Millisecond, BodyMinRate: 1 << 20, BodyTimeout: 200 * time.Millisecond},
		http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.ReadAll(r.Body)
			select { // work on past the body deadline
			case <-r.Context().Done():
				done <- r.Context().Err()
			case <-time.After(600 * time.Millisecond):
				done <- nil
			}
			_, _ = w.Write([]byte("ok"))
		}))
	resp, err := http.Post("http://"+addr+"/x", "text/plain", strings.NewReader("body"))
	require.NoError(t, err)
	_ = resp.Body.Close()
	assert.NoError(t, <-done, "the request's context outlives the body deadline")
	assert.Equal(t, http.StatusOK, resp.StatusCode)
}
