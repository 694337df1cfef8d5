package itest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/cemhq/cem/pkg/chconn"
	"github.com/cemhq/cem/pkg/devkafka"
)

// Environment variables read by the helpers.
const (
	// EnvClickHouseAddr is the native address of the test ClickHouse.
	EnvClickHouseAddr = "CEM_TEST_CLICKHOUSE_ADDR"
	// EnvIntegration set to 1 turns skips for missing dependencies into failures.
	EnvIntegration = "CEM_TEST_INTEGRATION"
)

var nonIdent = regexp.MustCompile(`[^a-z0-9_]+`)

// Required reports whether integration dependencies are mandatory
// (CEM_TEST_INTEGRATION=1).
func Required() bool { return os.Getenv(EnvIntegration) == "1" }

// skipOrFail skips the test, or fails it when integration tests are required.
func skipOrFail(t testing.TB, msg string) {
	t.Helper()
	if Required() {
		t.Fatalf("%s (%s=1, so this is a failure)", msg, EnvIntegration)
	}
	t.Skip(msg + " (scripts/test.sh provides it)")
}

// ClickHouse connects to CEM_TEST_CLICKHOUSE_ADDR, creates a fresh,
// uniquely named database for this test and drops it at cleanup. It
// returns a connection whose default database is that database, the
// address and the database name.
func ClickHouse(t testing.TB) (conn driver.Conn, addr, database string) {
	t.Helper()
	addr = os.Getenv(EnvClickHouseAddr)
	if addr == "" {
		skipOrFail(t, "no ClickHouse: "+EnvClickHouseAddr+" is not set")
	}
	database = DatabaseName(t.Name())
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := chconn.Open(ctx, chconn.Config{Addr: addr, Database: database})
	if err != nil {
		t.Fatalf("itest: clickhouse at %s: %v", addr, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+database); err != nil {
			t.Errorf("itest: drop database %s: %v", database, err)
		}
		_ = conn.Close()
	})
	return conn, addr, database
}

// DatabaseName returns a fresh database name derived from a test name:
// "it_<sanitized name>_<random hex>".
func DatabaseName(testName string) string {
	name := strings.Trim(nonIdent.ReplaceAllString(strings.ToLower(testName), "_"), "_")
	if len(name) > 40 {
		name = name[:40]
	}
	var b [4]byte
	_, _ = rand.Read(b[:])
	return "it_" + name + "_" + hex.EncodeToString(b[:])
}

// Kafka starts an in-process dev broker on a free 127.0.0.1 port with a
// temporary DataDir and the default topics; it is closed at cleanup.
func Kafka(t testing.TB) *devkafka.Broker {
	t.Helper()
	b, err := devkafka.Start(devkafka.Config{Addr: "127.0.0.1:0", DataDir: t.TempDir()})
	if err != nil {
		t.Fatalf("itest: start dev broker: %v", err)
	}
	t.Cleanup(b.Close)
	return b
}

// Eventually calls cond every 20 ms until it returns true and fails the
// test with msg when timeout passes first.
func Eventually(t testing.TB, timeout time.Duration, cond func() bool, msg string) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("itest: not true after %s: %s", timeout, msg)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
