package itest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"path/filepath"
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
	// EnvClusterAddrs is the comma list of the native addresses of a test
	// ClickHouse cluster (scripts/clickhouse-cluster.sh addrs), shard by
	// shard; EnvCluster its name (default cem_cluster).
	EnvClusterAddrs = "CEM_TEST_CLICKHOUSE_CLUSTER_ADDRS"
	EnvCluster      = "CEM_TEST_CLICKHOUSE_CLUSTER"
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
// uniquely named database for this test and drops it at cleanup (in record
// mode, chconn.EnvRecord set, it is kept for the ClickHouse 26 replay). It
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
		if keepForReplay(t, database) {
			_ = conn.Close()
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+database); err != nil {
			t.Errorf("itest: drop database %s: %v", database, err)
		}
		_ = conn.Close()
	})
	return conn, addr, database
}

// ReplayDir is the subdirectory of the record directory (chconn.EnvRecord)
// that names, one empty file each, the test databases kept for the
// compatibility suite.
const ReplayDir = "databases"

// keepForReplay, in record mode (chconn.EnvRecord set), leaves database in
// place for the compatibility suite (tests/chcompat), which replays the
// recorded statements over its contents and drops it, and notes its name
// under ReplayDir. It reports whether the database is kept.
func keepForReplay(t testing.TB, database string) bool {
	dir := os.Getenv(chconn.EnvRecord)
	if dir == "" {
		return false
	}
	keep := filepath.Join(dir, ReplayDir)
	if err := os.MkdirAll(keep, 0o755); err != nil {
		t.Errorf("itest: %v", err)
		return false
	}
	if err := os.WriteFile(filepath.Join(keep, database), nil, 0o644); err != nil {
		t.Errorf("itest: %v", err)
		return false
	}
	return true
}

// Cluster is a test database on a ClickHouse cluster.
type Cluster struct {
	// Config connects to the first node with the cluster in sharded mode
	// (chconn.Config.Sharded), Database set to the test database.
	Config chconn.Config
	// Conn is a connection with Config.
	Conn driver.Conn
	// Nodes are connections to each node, in the order of
	// EnvClusterAddrs, to the "default" database.
	Nodes []driver.Conn
}

// ClickHouseCluster connects to the cluster of EnvClusterAddrs and names a
// fresh database for this test, which the test creates (chmigrate does, ON
// CLUSTER); it is dropped on every node at cleanup.
func ClickHouseCluster(t testing.TB) *Cluster {
	t.Helper()
	addrs := os.Getenv(EnvClusterAddrs)
	if addrs == "" {
		skipOrFail(t, "no ClickHouse cluster: "+EnvClusterAddrs+" is not set")
	}
	name := os.Getenv(EnvCluster)
	if name == "" {
		name = "cem_cluster"
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c := &Cluster{Config: chconn.Config{Addr: addrs, Database: DatabaseName(t.Name()), Cluster: name, Sharded: true}}
	for _, a := range c.Config.Addrs() {
		conn, err := chconn.Open(ctx, chconn.Config{Addr: a, Database: "default"})
		if err != nil {
			t.Fatalf("itest: clickhouse cluster node %s: %v", a, err)
		}
		c.Nodes = append(c.Nodes, conn)
	}
	conn, err := chconn.Open(ctx, c.Config)
	if err != nil {
		t.Fatalf("itest: clickhouse cluster %s: %v", addrs, err)
	}
	c.Conn = conn
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		if err := c.Nodes[0].Exec(ctx, "DROP DATABASE IF EXISTS "+c.Config.Database+" ON CLUSTER '"+name+"'"); err != nil {
			t.Errorf("itest: drop database %s on cluster %s: %v", c.Config.Database, name, err)
		}
		_ = c.Conn.Close()
		for _, n := range c.Nodes {
			_ = n.Close()
		}
	})
	return c
}

// EachLayout runs test twice, as subtests "single" and "sharded": on a
// fresh database of the test ClickHouse (ClickHouse) and on a fresh
// database of the test cluster in sharded mode (ClickHouseCluster). conn
// and cfg connect to it; the database is not migrated yet.
func EachLayout(t *testing.T, test func(t *testing.T, conn driver.Conn, cfg chconn.Config)) {
	t.Helper()
	t.Run("single", func(t *testing.T) {
		conn, addr, db := ClickHouse(t)
		test(t, conn, chconn.Config{Addr: addr, Database: db})
	})
	t.Run("sharded", func(t *testing.T) {
		c := ClickHouseCluster(t)
		test(t, c.Conn, c.Config)
	})
}

// TableEngines returns the engine of every table of database, by name.
func TableEngines(t testing.TB, conn driver.Conn, database string) map[string]string {
	t.Helper()
	rows, err := conn.Query(context.Background(), "SELECT name, engine FROM system.tables WHERE database = ?", database)
	if err != nil {
		t.Fatalf("itest: list tables of %s: %v", database, err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var name, engine string
		if err := rows.Scan(&name, &engine); err != nil {
			t.Fatalf("itest: list tables of %s: %v", database, err)
		}
		out[name] = engine
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("itest: list tables of %s: %v", database, err)
	}
	return out
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
