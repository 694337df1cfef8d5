package sdktest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/stretchr/testify/require"

	"github.com/cemhq/cem/pkg/chconn"
)

// stackEnv is the running stack the tests post to (scripts/browser-test.sh
// sets it from the stack scripts/test.sh starts).
type stackEnv struct {
	collector string // CEM_BROWSER_COLLECTOR_URL
	chrome    string // CEM_BROWSER_CHROME (default /usr/bin/chromium)
	webKey    string // CEM_BROWSER_WEB_KEY (default run.sh's dev-web-key)
	serverKey string // CEM_BROWSER_SERVER_KEY (default run.sh's dev-callcenter-key)
	ch        chconn.Config
	// scores: the stack scores every few seconds (CEM_BROWSER_EXPECT_SCORES=1).
	scores bool
}

func getenv(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// loadEnv skips the test unless a stack is given.
func loadEnv(t *testing.T) stackEnv {
	t.Helper()
	e := stackEnv{
		collector: strings.TrimRight(os.Getenv("CEM_BROWSER_COLLECTOR_URL"), "/"),
		chrome:    getenv("CEM_BROWSER_CHROME", "/usr/bin/chromium"),
		webKey:    getenv("CEM_BROWSER_WEB_KEY", "dev-web-key"),
		serverKey: getenv("CEM_BROWSER_SERVER_KEY", "dev-callcenter-key"),
		ch: chconn.Config{
			Addr:     getenv("CEM_BROWSER_CLICKHOUSE_ADDR", getenv("CEM_TEST_CLICKHOUSE_ADDR", "127.0.0.1:9000")),
			Database: getenv("CEM_CLICKHOUSE_DATABASE", "cem"),
		},
		scores: os.Getenv("CEM_BROWSER_EXPECT_SCORES") == "1",
	}
	if e.collector == "" {
		t.Skip("CEM_BROWSER_COLLECTOR_URL is not set: run scripts/browser-test.sh against a running stack")
	}
	return e
}

// clickhouse connects to the stack's database.
func clickhouse(t *testing.T, e stackEnv) driver.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := chconn.Open(ctx, e.ch)
	require.NoError(t, err, "connect to ClickHouse %s/%s", e.ch.Addr, e.ch.Database)
	t.Cleanup(func() { _ = conn.Close() })
	return conn
}

// bundlePage installs the pinned SDKs (npm ci, testdata/browser's
// package-lock.json; node_modules is git-ignored) and bundles page.js with
// esbuild into dir.
func bundlePage(t *testing.T, dir string) string {
	t.Helper()
	src, err := filepath.Abs("../../testdata/browser")
	require.NoError(t, err)
	if _, err := os.Stat(filepath.Join(src, "node_modules", ".bin", "esbuild")); err != nil {
		cmd := exec.Command("npm", "ci", "--no-audit", "--no-fund")
		cmd.Dir = src
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "npm ci: %s", out)
	}
	out := filepath.Join(dir, "bundle.js")
	cmd := exec.Command(filepath.Join(src, "node_modules", ".bin", "esbuild"), "page.js", "--bundle", "--format=iife",
		"--target=chrome110", "--log-level=warning", "--outfile="+out)
	cmd.Dir = src
	b, err := cmd.CombinedOutput()
	require.NoError(t, err, "esbuild: %s", b)
	return out
}

// runToken is a string unique to this run, put into every event.
func runToken(prefix string) string {
	return fmt.Sprintf("%s%x", prefix, time.Now().UnixNano())
}
