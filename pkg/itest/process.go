package itest

import (
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// Build compiles the Go command in dir (relative to the test's package
// directory, e.g. "../../../query") into a temporary directory and returns
// the binary's path.
func Build(t testing.TB, dir string) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), filepath.Base(dir))
	cmd := exec.Command("go", "build", "-o", bin, dir)
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("itest: go build %s: %v", dir, err)
	}
	return bin
}

// FreeAddr returns a loopback address nothing listens on at the time of
// the call.
func FreeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("itest: free address: %v", err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	return addr
}

// Service is a service binary running for a test.
type Service struct {
	// URL is http://<address the service listens on>.
	URL     string
	cmd     *exec.Cmd
	stopped bool
}

// StartService runs bin with exactly env plus addrVar=<a free address>
// (its listen address variable, e.g. CEM_HTTP_ADDR), waits up to a minute
// until GET /readyz answers 200, and stops it at cleanup.
func StartService(t testing.TB, bin, addrVar string, env ...string) *Service {
	t.Helper()
	addr := FreeAddr(t)
	cmd := exec.Command(bin)
	cmd.Env = append(append([]string{addrVar + "=" + addr}, recordEnv()...), env...)
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("itest: start %s: %v", bin, err)
	}
	s := &Service{URL: "http://" + addr, cmd: cmd}
	t.Cleanup(s.Stop)
	Eventually(t, time.Minute, func() bool {
		resp, err := http.Get(s.URL + "/readyz")
		if err != nil {
			return false
		}
		_ = resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	}, filepath.Base(bin)+" ready")
	return s
}

// Stop sends SIGTERM and waits for the process to exit; later calls do
// nothing.
func (s *Service) Stop() {
	if s.stopped {
		return
	}
	s.stopped = true
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	_ = s.cmd.Wait()
}
