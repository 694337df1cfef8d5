package e2e

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/testcontainers/testcontainers-go"
	tcexec "github.com/testcontainers/testcontainers-go/exec"
	"github.com/testcontainers/testcontainers-go/wait"
)

// Images: the current releases the deployment files use (deploy/docker-compose.yml).
const (
	kafkaImage      = "apache/kafka:4.1.0"
	clickhouseImage = "clickhouse/clickhouse-server:25.8"
	// clusterName is the remote_servers entry of clickhouseClusterXML.
	clusterName = "cem"
)

// EnvDocker set to 1 turns "no Docker" skips into failures.
const EnvDocker = "CEM_TEST_DOCKER"

// env is the shared environment TestMain starts; skip is set instead when
// it cannot.
var (
	env  *stack
	skip string
)

// stack is the containers shared by the package's tests.
type stack struct {
	kafka      *testcontainers.DockerContainer
	clickhouse *testcontainers.DockerContainer
	// brokers is the Kafka bootstrap address for host processes.
	brokers string
	// chAddr is ClickHouse's native address for host processes.
	chAddr string
}

func TestMain(m *testing.M) {
	code := func() int {
		if err := dockerAvailable(); err != nil {
			skip = "no Docker daemon for testcontainers (" + err.Error() + "): the Kafka + ClickHouse suite needs one"
			return m.Run()
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		s, err := start(ctx)
		cancel()
		if s != nil {
			defer s.terminate()
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "e2e: start containers:", err)
			return 1
		}
		env = s
		return m.Run()
	}()
	os.Exit(code)
}

// need returns the shared stack or skips (fails with CEM_TEST_DOCKER=1).
func need(t *testing.T) *stack {
	t.Helper()
	if env == nil {
		if os.Getenv(EnvDocker) == "1" {
			t.Fatalf("%s (%s=1, so this is a failure)", skip, EnvDocker)
		}
		t.Skip(skip)
	}
	return env
}

// dockerAvailable reports why testcontainers cannot reach a Docker daemon.
func dockerAvailable() (err error) {
	if os.Getenv("DOCKER_HOST") == "" {
		if _, err := os.Stat("/var/run/docker.sock"); err != nil {
			return errors.New("DOCKER_HOST unset and /var/run/docker.sock missing")
		}
	}
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("docker provider: %v", r)
		}
	}()
	p, err := testcontainers.ProviderDocker.GetProvider()
	if err != nil {
		return err
	}
	defer func() { _ = p.Close() }()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return p.Health(ctx)
}

func start(ctx context.Context) (*stack, error) {
	s := &stack{}
	var err error
	if s.kafka, s.brokers, err = startKafka(ctx); err != nil {
		return s, fmt.Errorf("kafka: %w", err)
	}
	if s.clickhouse, s.chAddr, err = startClickHouse(ctx); err != nil {
		return s, fmt.Errorf("clickhouse: %w", err)
	}
	return s, nil
}

func (s *stack) terminate() {
	for _, c := range []*testcontainers.DockerContainer{s.kafka, s.clickhouse} {
		if c != nil {
			_ = testcontainers.TerminateContainer(c)
		}
	}
}

// startKafka runs a single KRaft broker+controller. The host listener is
// published on a port chosen here and advertised as 127.0.0.1:<port>, so
// host clients follow the metadata; the INTERNAL listener serves the CLI
// inside the container.
func startKafka(ctx context.Context) (*testcontainers.DockerContainer, string, error) {
	port, err := freePort()
	if err != nil {
		return nil, "", err
	}
	script, err := repoPath("deploy", "k8s", "base", "kafka", "topics.sh")
	if err != nil {
		return nil, "", err
	}
	c, err := testcontainers.Run(ctx, kafkaImage,
		testcontainers.WithExposedPorts(strconv.Itoa(port)+":9092/tcp"),
		testcontainers.WithEnv(map[string]string{
			"CLUSTER_ID":                                     "MkU3OEVBNTcwNTJENDM2Qk",
			"KAFKA_NODE_ID":                                  "1",
			"KAFKA_PROCESS_ROLES":                            "broker,controller",
			"KAFKA_CONTROLLER_QUORUM_VOTERS":                 "1@localhost:9093",
			"KAFKA_CONTROLLER_LISTENER_NAMES":                "CONTROLLER",
			"KAFKA_LISTENERS":                                "PLAINTEXT://:9092,CONTROLLER://:9093,INTERNAL://:19092",
			"KAFKA_ADVERTISED_LISTENERS":                     "PLAINTEXT://127.0.0.1:" + strconv.Itoa(port) + ",INTERNAL://localhost:19092",
			"KAFKA_LISTENER_SECURITY_PROTOCOL_MAP":           "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT,INTERNAL:PLAINTEXT",
			"KAFKA_INTER_BROKER_LISTENER_NAME":               "INTERNAL",
			"KAFKA_AUTO_CREATE_TOPICS_ENABLE":                "false",
			"KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR":         "1",
			"KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR": "1",
			"KAFKA_TRANSACTION_STATE_LOG_MIN_ISR":            "1",
			"KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS":         "0",
		}),
		testcontainers.WithFiles(testcontainers.ContainerFile{HostFilePath: script, ContainerFilePath: "/tmp/topics.sh", FileMode: 0o755}),
		testcontainers.WithWaitStrategy(wait.ForLog("Kafka Server started").WithStartupTimeout(3*time.Minute)),
	)
	if err != nil {
		return c, "", err
	}
	return c, "127.0.0.1:" + strconv.Itoa(port), nil
}

// createTopics runs the deployment's topics.sh inside the Kafka container.
func (s *stack) createTopics(ctx context.Context, topic, dlq, alerts string, partitions int) (string, error) {
	code, out, err := s.kafka.Exec(ctx, []string{"bash", "/tmp/topics.sh"}, tcexec.Multiplexed(), tcexec.WithEnv([]string{
		"CEM_KAFKA_BOOTSTRAP=localhost:19092",
		"CEM_TOPIC=" + topic, "CEM_DLQ_TOPIC=" + dlq, "CEM_ALERTS_TOPIC=" + alerts,
		"CEM_TOPIC_PARTITIONS=" + strconv.Itoa(partitions), "CEM_DLQ_PARTITIONS=1", "CEM_ALERTS_PARTITIONS=1",
		"CEM_TOPIC_REPLICATION=1", "CEM_TOPIC_MIN_ISR=1",
	}))
	if err != nil {
		return "", err
	}
	b, _ := io.ReadAll(out)
	if code != 0 {
		return string(b), fmt.Errorf("topics.sh exited %d", code)
	}
	return string(b), nil
}

// clickhouseClusterXML makes the server a one-shard, one-replica cluster
// named "cem" with embedded Keeper, enough for ON CLUSTER DDL and
// Replicated* engines (the macros feed chmigrate's zookeeper path).
const clickhouseClusterXML = `<clickhouse>
  <keeper_server>
    <tcp_port>9181</tcp_port>
    <server_id>1</server_id>
    <log_storage_path>/var/lib/clickhouse/coordination/log</log_storage_path>
    <snapshot_storage_path>/var/lib/clickhouse/coordination/snapshots</snapshot_storage_path>
    <raft_configuration><server><id>1</id><hostname>localhost</hostname><port>9234</port></server></raft_configuration>
  </keeper_server>
  <zookeeper><node><host>localhost</host><port>9181</port></node></zookeeper>
  <macros><shard>01</shard><replica>r1</replica></macros>
  <remote_servers>
    <cem><shard><internal_replication>true</internal_replication><replica><host>localhost</host><port>9000</port></replica></shard></cem>
  </remote_servers>
  <distributed_ddl><path>/clickhouse/task_queue/ddl</path></distributed_ddl>
</clickhouse>
`

func startClickHouse(ctx context.Context) (*testcontainers.DockerContainer, string, error) {
	dir, err := os.MkdirTemp("", "cem-e2e-clickhouse")
	if err != nil {
		return nil, "", err
	}
	defer func() { _ = os.RemoveAll(dir) }()
	cfg := filepath.Join(dir, "cem-cluster.xml")
	if err := os.WriteFile(cfg, []byte(clickhouseClusterXML), 0o644); err != nil {
		return nil, "", err
	}
	c, err := testcontainers.Run(ctx, clickhouseImage,
		testcontainers.WithExposedPorts("9000/tcp", "8123/tcp"),
		// The default user without password, reachable from the host.
		testcontainers.WithEnv(map[string]string{"CLICKHOUSE_SKIP_USER_SETUP": "1"}),
		testcontainers.WithFiles(testcontainers.ContainerFile{HostFilePath: cfg, ContainerFilePath: "/etc/clickhouse-server/config.d/cem-cluster.xml", FileMode: 0o644}),
		testcontainers.WithWaitStrategy(wait.ForHTTP("/ping").WithPort("8123/tcp").WithStartupTimeout(3*time.Minute)),
	)
	if err != nil {
		return c, "", err
	}
	host, err := c.Host(ctx)
	if err != nil {
		return c, "", err
	}
	p, err := c.MappedPort(ctx, "9000/tcp")
	if err != nil {
		return c, "", err
	}
	return c, net.JoinHostPort(host, p.Port()), nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer func() { _ = l.Close() }()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// repoPath joins elems onto the repository root (the directory with go.work).
func repoPath(elems ...string) (string, error) {
	dir, err := filepath.Abs(".")
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.work")); err == nil {
			return filepath.Join(append([]string{dir}, elems...)...), nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("go.work not found")
		}
		dir = parent
	}
}
