package itest

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// FreeAddr returns a loopback address nothing listens on at the time of
// the call.
func FreeAddr(t testing.TB) string {
	t.Helper()
	return fmt.Sprintf("127.0.0.1:%d", FreePort(t))
}

// Service is a service binary running for a test (a Process), listening
// on URL.
type Service struct {
	*Process
	// URL is http://<address the service listens on>.
	URL     string
	stopped bool
}

// StartService runs bin (see Start) with env (KEY=value entries) plus
// addrVar=<a free address> (its listen address variable, e.g.
// CEM_HTTP_ADDR), waits up to a minute until GET /readyz answers 200, and
// stops it gracefully at cleanup (before Start's kill).
func StartService(t testing.TB, bin, addrVar string, env ...string) *Service {
	t.Helper()
	addr := FreeAddr(t)
	vars := map[string]string{addrVar: addr}
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		vars[k] = v
	}
	s := &Service{Process: Start(t, bin, vars), URL: "http://" + addr}
	t.Cleanup(s.Stop)
	Eventually(t, time.Minute, func() bool { return Ready(s.URL + "/readyz") }, filepath.Base(bin)+" ready")
	return s
}

// Stop sends SIGTERM and waits up to 30 s for the process to exit; later
// calls do nothing.
func (s *Service) Stop() {
	if s.stopped {
		return
	}
	s.stopped = true
	_ = s.Process.Stop(30 * time.Second)
}
