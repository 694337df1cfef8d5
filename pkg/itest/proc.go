package itest

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/cemhq/cem/pkg/chconn"
)

// BuildService compiles ./services/<name> of the workspace into a temporary directory (static, as
// the images are) and returns the binary's path. Builds are cached per
// test binary: a second call for the same service returns the first
// binary.
func BuildService(t testing.TB, name string) string {
	t.Helper()
	builds.Lock()
	defer builds.Unlock()
	if bin, ok := builds.bins[name]; ok {
		return bin
	}
	root, err := RepoRoot()
	if err != nil {
		t.Fatalf("itest: %v", err)
	}
	if builds.dir == "" {
		removeStaleBuilds()
		builds.dir = filepath.Join(os.TempDir(), fmt.Sprintf("%s%d", buildPrefix, os.Getpid()))
		if err := os.MkdirAll(builds.dir, 0o755); err != nil {
			t.Fatalf("itest: %v", err)
		}
	}
	bin := filepath.Join(builds.dir, name)
	cmd := exec.Command("go", "build", "-o", bin, "./services/"+name)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("itest: go build ./services/%s: %v\n%s", name, err, out)
	}
	builds.bins[name] = bin
	return bin
}

var builds = struct {
	sync.Mutex
	dir  string
	bins map[string]string
}{bins: map[string]string{}}

// buildPrefix names the directories of BuildService's binaries, one per
// test process (its pid): a test binary cannot remove its own when it
// exits, so the next one removes those of processes that are gone.
const buildPrefix = "cem-itest-bin-"

func removeStaleBuilds() {
	dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), buildPrefix+"*"))
	for _, d := range dirs {
		pid, err := strconv.Atoi(strings.TrimPrefix(filepath.Base(d), buildPrefix))
		if err != nil || pid <= 0 || pid > 1<<22 || syscall.Kill(pid, 0) == nil { // not ours, or alive
			continue
		}
		_ = os.RemoveAll(d)
	}
}

// RepoRoot is the directory holding go.work, found upwards from the
// working directory.
func RepoRoot() (string, error) {
	dir, err := filepath.Abs(".")
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.work")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("go.work not found")
		}
		dir = parent
	}
}

// FreePort returns a TCP port that was free a moment ago.
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("itest: free port: %v", err)
	}
	defer func() { _ = l.Close() }()
	return l.Addr().(*net.TCPAddr).Port
}

// Process is a cem binary running as a subprocess, its output in a log
// file that the test prints when it fails.
type Process struct {
	Name string
	cmd  *exec.Cmd
	log  string
	done chan error
}

// recordEnv passes chconn.EnvRecord on to a service the test starts, so
// that its statements count for the ClickHouse 26 replay too.
func recordEnv() []string {
	if dir := os.Getenv(chconn.EnvRecord); dir != "" {
		return []string{chconn.EnvRecord + "=" + dir}
	}
	return nil
}

// Start runs bin with env (CEM_* variables; PATH and HOME are passed on)
// and kills it at cleanup.
func Start(t testing.TB, bin string, env map[string]string) *Process {
	t.Helper()
	f, err := os.CreateTemp(t.TempDir(), filepath.Base(bin)+"-*.log")
	if err != nil {
		t.Fatalf("itest: %v", err)
	}
	cmd := exec.Command(bin)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}
	cmd.Env = append(cmd.Env, recordEnv()...)
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	cmd.Stdout, cmd.Stderr = f, f
	if err := cmd.Start(); err != nil {
		t.Fatalf("itest: start %s: %v", bin, err)
	}
	p := &Process{Name: filepath.Base(bin), cmd: cmd, log: f.Name(), done: make(chan error, 1)}
	go func() { p.done <- cmd.Wait(); _ = f.Close() }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGCONT)
		_ = cmd.Process.Kill()
		if t.Failed() {
			b, _ := os.ReadFile(p.log)
			if len(b) > 20000 {
				b = b[len(b)-20000:]
			}
			t.Logf("%s log (tail):\n%s", p.Name, b)
		}
	})
	return p
}

// Signal sends sig (SIGSTOP freezes, SIGCONT thaws).
func (p *Process) Signal(sig syscall.Signal) error { return p.cmd.Process.Signal(sig) }

// Stop sends SIGTERM and waits for the exit (nil for exit 0).
func (p *Process) Stop(timeout time.Duration) error {
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-p.done:
		return err
	case <-time.After(timeout):
		return fmt.Errorf("%s did not exit within %s of SIGTERM", p.Name, timeout)
	}
}

// Kill sends SIGKILL and waits for the process to be gone.
func (p *Process) Kill() {
	_ = p.cmd.Process.Kill()
	<-p.done
}

// Ready reports whether url answers 200.
func Ready(url string) bool {
	resp, err := http.Get(url)
	if err != nil {
		return false
	}
	_ = resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}
