package deploytest

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type composeFile struct {
	Name     string                    `json:"name"`
	Services map[string]composeService `json:"services"`
	Volumes  map[string]any            `json:"volumes"`
}

type composeService struct {
	Image       string            `json:"image"`
	Build       *composeBuild     `json:"build"`
	User        string            `json:"user"`
	ReadOnly    bool              `json:"read_only"`
	CapDrop     []string          `json:"cap_drop"`
	Environment map[string]any    `json:"environment"`
	Ports       []string          `json:"ports"`
	Volumes     []string          `json:"volumes"`
	Entrypoint  []string          `json:"entrypoint"`
	DependsOn   any               `json:"depends_on"`
	Deploy      *composeDeploy    `json:"deploy"`
	Healthcheck map[string]any    `json:"healthcheck"`
	Labels      map[string]string `json:"labels"`
}

type composeBuild struct {
	Context    string `json:"context"`
	Dockerfile string `json:"dockerfile"`
}

type composeDeploy struct {
	Replicas int `json:"replicas"`
}

func loadCompose(t *testing.T) composeFile {
	t.Helper()
	var c composeFile
	readYAML(t, &c, "deploy", "docker-compose.yml")
	return c
}

func env(s composeService, key string) string {
	v, ok := s.Environment[key]
	if !ok || v == nil {
		return ""
	}
	switch v := v.(type) {
	case string:
		return v
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	default:
		return ""
	}
}

func TestComposeConfigValidates(t *testing.T) {
	docker := lookTool(t, "docker")
	if err := exec.Command(docker, "compose", "version").Run(); err != nil {
		t.Skip("docker compose plugin not installed: skipping `docker compose config`")
	}
	cmd := exec.Command(docker, "compose", "-f", path(t, "deploy", "docker-compose.yml"), "config", "-q")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "docker compose config: %s", out)
}

func TestComposeStack(t *testing.T) {
	c := loadCompose(t)
	for _, name := range []string{"kafka", "kafka-init", "clickhouse", "collector", "processor", "query", "prometheus", "grafana"} {
		require.Contains(t, c.Services, name)
	}

	kafka := c.Services["kafka"]
	assert.True(t, strings.HasPrefix(kafka.Image, "apache/kafka:"), "real Apache Kafka image, got %s", kafka.Image)
	assert.Contains(t, env(kafka, "KAFKA_PROCESS_ROLES"), "controller", "KRaft combined mode")
	assert.NotContains(t, strings.Join(keys(kafka.Environment), ","), "ZOOKEEPER")
	assert.Equal(t, "false", env(kafka, "KAFKA_AUTO_CREATE_TOPICS_ENABLE"), "topics come from kafka-init, not auto-creation")
	assert.NotEmpty(t, kafka.Healthcheck)

	ch := c.Services["clickhouse"]
	assert.True(t, strings.HasPrefix(ch.Image, "clickhouse/clickhouse-server:"), ch.Image)
	assert.NotEmpty(t, ch.Healthcheck)

	initSvc := c.Services["kafka-init"]
	partitions, err := strconv.Atoi(env(initSvc, "CEM_TOPIC_PARTITIONS"))
	require.NoError(t, err, "kafka-init sets CEM_TOPIC_PARTITIONS")
	require.NotEmpty(t, initSvc.Volumes)
	assert.FileExists(t, hostPath(t, initSvc.Volumes[0]), "topics script mounted into kafka-init")

	for svc, port := range services {
		t.Run(svc, func(t *testing.T) {
			s := c.Services[svc]
			require.NotNil(t, s.Build, "built from the workspace")
			assert.Equal(t, "..", s.Build.Context, "context is the go.work root")
			assert.Equal(t, "deploy/docker/"+svc+".Dockerfile", s.Build.Dockerfile)
			assert.FileExists(t, path(t, s.Build.Dockerfile))
			assert.Equal(t, "${CEM_IMAGE_REGISTRY:-cem}/"+svc+":${CEM_VERSION:-dev}", s.Image, "image names the service")
			assert.Equal(t, "65532:65532", s.User, "non-root")
			assert.True(t, s.ReadOnly, "read-only root filesystem")
			assert.Contains(t, s.CapDrop, "ALL")
			assert.Equal(t, "kafka:9092", env(s, "CEM_KAFKA_BROKERS"))
			assert.Equal(t, "clickhouse:9000", env(s, "CEM_CLICKHOUSE_ADDR"))
			assert.Equal(t, "cem", env(s, "CEM_CLICKHOUSE_DATABASE"))
			if svc != "processor" {
				assert.Contains(t, s.Ports, strconv.Itoa(port)+":"+strconv.Itoa(port))
				assert.Equal(t, ":"+strconv.Itoa(port), env(s, "CEM_HTTP_ADDR"))
			}
		})
	}
	assert.NotEmpty(t, env(c.Services["collector"], "CEM_WRITE_KEYS"))
	// The query service rejects tokens shorter than 16 characters at start.
	tokens := env(c.Services["query"], "CEM_QUERY_TOKENS")
	if _, def, ok := strings.Cut(tokens, ":-"); ok {
		tokens = strings.TrimSuffix(def, "}")
	}
	for tok := range strings.SplitSeq(tokens, ",") {
		assert.GreaterOrEqual(t, len(tok), 16, "default query token %q", tok)
	}

	proc := c.Services["processor"]
	require.NotNil(t, proc.Deploy)
	assert.Equal(t, 2, proc.Deploy.Replicas, "two processors in the consumer group")
	assert.Equal(t, "false", env(proc, "CEM_SCORES_ENABLED"), "replicated processors do not score")
	scorer, ok := c.Services["processor-scorer"]
	require.True(t, ok, "one processor runs the scorer")
	assert.Nil(t, scorer.Deploy, "a single scorer")
	assert.Equal(t, "true", env(scorer, "CEM_SCORES_ENABLED"))
	assert.Equal(t, proc.Image, scorer.Image)
	members := proc.Deploy.Replicas + 1
	assert.Zero(t, partitions%members, "group members (%d) divide the partitions (%d)", members, partitions)
	assert.Empty(t, proc.Ports, "replicated service publishes no host port")

	for _, svc := range []string{"prometheus", "grafana"} {
		for _, v := range c.Services[svc].Volumes {
			if strings.HasPrefix(v, "./") {
				_, err := os.Stat(hostPath(t, v))
				assert.NoError(t, err, "%s mounts %s", svc, v)
			}
		}
	}
}

// hostPath resolves the host side of a compose bind mount ("./x:/y[:ro]")
// relative to deploy/.
func hostPath(t *testing.T, volume string) string {
	t.Helper()
	src, _, _ := strings.Cut(volume, ":")
	return filepath.Join(path(t, "deploy"), src)
}

func keys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestDockerfiles(t *testing.T) {
	for svc, port := range services {
		t.Run(svc, func(t *testing.T) {
			df := string(readFile(t, "deploy", "docker", svc+".Dockerfile"))
			var froms []string
			for line := range strings.SplitSeq(df, "\n") {
				if f, ok := strings.CutPrefix(strings.TrimSpace(line), "FROM "); ok {
					froms = append(froms, f)
				}
			}
			require.Len(t, froms, 2, "multi-stage: build and runtime")
			assert.True(t, strings.HasPrefix(froms[0], "golang:"), "build stage: %s", froms[0])
			assert.Equal(t, "gcr.io/distroless/static-debian12:nonroot", froms[1], "runtime stage")
			assert.Contains(t, df, "CGO_ENABLED=0", "static binary")
			assert.Contains(t, df, "./services/"+svc)
			assert.Contains(t, df, "USER 65532:65532")
			assert.Contains(t, df, "EXPOSE "+strconv.Itoa(port))
			assert.Contains(t, df, `ENTRYPOINT ["/usr/local/bin/`+svc+`"]`)

			ignore := string(readFile(t, "deploy", "docker", svc+".Dockerfile.dockerignore"))
			for _, p := range []string{".git", ".data"} {
				assert.Contains(t, strings.Fields(ignore), p, "context excludes %s", p)
			}
		})
	}
}

// TestComposeSpec loads the compose file with compose-go, the library behind
// `docker compose config`: the file must satisfy the Compose specification's
// schema, interpolate and resolve (extends, env files, build contexts). It
// runs everywhere, unlike TestComposeConfigValidates which needs the docker
// compose plugin.
func TestComposeSpec(t *testing.T) {
	file := path(t, "deploy", "docker-compose.yml")
	opts, err := cli.NewProjectOptions([]string{file}, cli.WithWorkingDirectory(filepath.Dir(file)), cli.WithName("cem"), cli.WithOsEnv)
	require.NoError(t, err)
	project, err := opts.LoadProject(context.Background())
	require.NoError(t, err, "compose spec validation")
	for _, name := range []string{"kafka", "clickhouse", "collector", "processor", "query", "prometheus", "grafana"} {
		_, err := project.GetService(name)
		assert.NoError(t, err, "service %s", name)
	}
}
