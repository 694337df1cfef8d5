package chmigrate

import (
	"strings"
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestEngine(t *testing.T) {
	tests := []struct {
		opts        Options
		table, name string
		args        []string
		want        string
	}{
		{Options{}, "events", "ReplacingMergeTree", []string{"version"}, "ReplacingMergeTree(version)"},
		{Options{}, "t", "MergeTree", nil, "MergeTree()"},
		{Options{Cluster: "c1"}, "events", "ReplacingMergeTree", []string{"version"},
			"ReplicatedReplacingMergeTree('/clickhouse/tables/all/{database}/{table}', '{replica}', version)"},
		{Options{Cluster: "c1"}, "t", "MergeTree", nil, "ReplicatedMergeTree('/clickhouse/tables/all/{database}/{table}', '{replica}')"},
		{Options{Cluster: "c1", Sharded: true}, "events", "ReplacingMergeTree", []string{"version"},
			"ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/{database}/{table}', '{replica}', version)"},
		{Options{Cluster: "c1", Sharded: true}, "identities", "ReplacingMergeTree", []string{"version"},
			"ReplicatedReplacingMergeTree('/clickhouse/tables/all/{database}/{table}', '{replica}', version)"},
	}
	for _, tt := range tests {
		t.Run(tt.opts.Cluster+tt.table+tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, tt.opts.engine(tt.table, "", tt.name, tt.args...))
		})
	}
}

const tmpl = `-- a comment;
CREATE TABLE IF NOT EXISTS {{.DB}}.t {{.OnCluster}} (v UInt64)
ENGINE = {{engine "ReplacingMergeTree" "v"}} ORDER BY v;
ALTER TABLE {{.DB}}.t {{.OnCluster}} ADD COLUMN x String
;
`

func TestRenderClusterMode(t *testing.T) {
	stmts, err := Render("t", tmpl, Options{Database: "cem", Cluster: "prod"})
	require.NoError(t, err)
	require.Len(t, stmts, 2)
	assert.Equal(t, "-- a comment;\nCREATE TABLE IF NOT EXISTS cem.t ON CLUSTER 'prod' (v UInt64)\n"+
		"ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/all/{database}/{table}', '{replica}', v) ORDER BY v", stmts[0])
	assert.Equal(t, "ALTER TABLE cem.t ON CLUSTER 'prod' ADD COLUMN x String", stmts[1])
}

func TestRenderSingleNode(t *testing.T) {
	stmts, err := Render("t", tmpl, Options{})
	require.NoError(t, err)
	assert.Equal(t, "-- a comment;\nCREATE TABLE IF NOT EXISTS cem.t  (v UInt64)\nENGINE = ReplacingMergeTree(v) ORDER BY v", stmts[0])
	assert.NotContains(t, strings.Join(stmts, ";"), "CLUSTER")
}

const shardedTmpl = `-- events
CREATE TABLE IF NOT EXISTS {{.DB}}.events {{.OnCluster}} (customer_key String, version UInt64)
ENGINE = {{engine "ReplacingMergeTree" "version"}} ORDER BY customer_key;
CREATE TABLE IF NOT EXISTS {{.DB}}.ids {{.OnCluster}} (id String, version UInt64)
ENGINE = {{engine "ReplacingMergeTree" "version"}} ORDER BY id;
ALTER TABLE {{.DB}}.{{local "events"}} {{.OnCluster}} ADD COLUMN x String;
CREATE VIEW IF NOT EXISTS {{.DB}}.v {{.OnCluster}} AS SELECT count() FROM {{.DB}}.events
`

func TestRenderSharded(t *testing.T) {
	stmts, err := Render("t", shardedTmpl, Options{Database: "cem", Cluster: "prod", Sharded: true})
	require.NoError(t, err)
	assert.Equal(t, []string{
		"-- events\nCREATE TABLE IF NOT EXISTS cem.events_local ON CLUSTER 'prod' (customer_key String, version UInt64)\n" +
			"ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/{database}/{table}', '{replica}', version) ORDER BY customer_key",
		"CREATE TABLE IF NOT EXISTS cem.events ON CLUSTER 'prod' AS cem.events_local\n" +
			"ENGINE = Distributed('prod', 'cem', 'events_local', cityHash64(customer_key))",
		"CREATE TABLE IF NOT EXISTS cem.ids ON CLUSTER 'prod' (id String, version UInt64)\n" +
			"ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/all/{database}/{table}', '{replica}', version) ORDER BY id",
		"ALTER TABLE cem.events_local ON CLUSTER 'prod' ADD COLUMN x String",
		"CREATE VIEW IF NOT EXISTS cem.v ON CLUSTER 'prod' AS SELECT count() FROM cem.events",
	}, stmts)

	// Not sharded: the same template names the plain tables.
	stmts, err = Render("t", shardedTmpl, Options{Database: "cem", Cluster: "prod"})
	require.NoError(t, err)
	require.Len(t, stmts, 4)
	assert.Contains(t, stmts[0], "cem.events ON CLUSTER")
	assert.Equal(t, "ALTER TABLE cem.events ON CLUSTER 'prod' ADD COLUMN x String", stmts[2])
}

func TestRenderSkipsEmptyStatements(t *testing.T) {
	src := "{{if .Cluster}}SYSTEM SYNC REPLICA {{.DB}}.t{{end}};\nSELECT 2"
	stmts, err := Render("t", src, Options{})
	require.NoError(t, err)
	assert.Equal(t, []string{"SELECT 2"}, stmts)
	stmts, err = Render("t", src, Options{Cluster: "c"})
	require.NoError(t, err)
	assert.Equal(t, []string{"SYSTEM SYNC REPLICA cem.t", "SELECT 2"}, stmts)
}

func TestLayout(t *testing.T) {
	sharded := Options{Cluster: "c", Sharded: true}
	assert.Equal(t, "events_local", sharded.Local("events"))
	assert.Equal(t, "identities", sharded.Local("identities"))
	assert.Equal(t, "events", Options{Cluster: "c"}.Local("events"))
	got, ok := sharded.ShardedOf("sessions_local")
	assert.True(t, ok)
	assert.Equal(t, "sessions", got)
	_, ok = sharded.ShardedOf("identities")
	assert.False(t, ok)
	_, ok = Options{}.ShardedOf("events_local")
	assert.False(t, ok)
	assert.Equal(t, "ON CLUSTER 'c'", sharded.OnCluster())
	assert.Empty(t, Options{}.OnCluster())
}

func TestRenderErrors(t *testing.T) {
	_, err := Render("bad", "{{.Nope}}", Options{})
	assert.Error(t, err)
	_, err = Render("bad", "{{engine", Options{})
	assert.Error(t, err)
	_, err = Render("bad", "SELECT 1", Options{Sharded: true})
	assert.ErrorContains(t, err, "needs a cluster")
	_, err = Render("bad", "SELECT 1", Options{Cluster: "x' y"})
	assert.ErrorContains(t, err, "not a plain identifier")
}

func TestSplit(t *testing.T) {
	assert.Equal(t, []string{"SELECT 1", "SELECT\n2"}, Split("SELECT 1;\n-- only a comment\n;\nSELECT\n2\n"))
	assert.Empty(t, Split("-- nothing\n\n"))
}

func TestLoad(t *testing.T) {
	ms, err := Load(fstest.MapFS{
		"0002_b.sql": {Data: []byte("SELECT 2")},
		"0001_a.sql": {Data: []byte("SELECT 1")},
		".keep":      {},
	})
	require.NoError(t, err)
	require.Len(t, ms, 2)
	assert.Equal(t, uint32(1), ms[0].Version)
	assert.Equal(t, "a", ms[0].Name)
	assert.Len(t, ms[0].Checksum, 64)
	assert.NotEqual(t, ms[0].Checksum, ms[1].Checksum)

	for name, fsys := range map[string]fstest.MapFS{
		"bad name":  {"1_a.sql": {Data: []byte("x")}},
		"duplicate": {"0001_a.sql": {Data: []byte("x")}, "0001_b.sql": {Data: []byte("y")}},
	} {
		_, err := Load(fsys)
		assert.Error(t, err, name)
	}
}

// TestRepositoryMigrations renders every migration of the repository in
// both modes: each renders and holds at least one statement.
func TestRepositoryMigrations(t *testing.T) {
	ms, err := repoMigrations()
	require.NoError(t, err)
	require.NotEmpty(t, ms)
	assert.Equal(t, uint32(1), ms[0].Version)
	sharded := 0
	for _, m := range ms {
		for _, opts := range []Options{{}, {Database: "x", Cluster: "c"}, {Database: "x", Cluster: "c", Sharded: true}} {
			stmts, err := m.Statements(opts)
			require.NoError(t, err, m.Name)
			require.NotEmpty(t, stmts, m.Name)
			for _, s := range stmts {
				assert.Equal(t, opts.Cluster != "", strings.Contains(s, "ON CLUSTER"), "%s: %s", m.Name, s)
				for table := range ShardingKeys {
					if opts.Sharded && strings.Contains(s, "CREATE TABLE IF NOT EXISTS x."+table+" ") {
						assert.Contains(t, s, "ENGINE = Distributed('c', 'x', '"+table+"_local'", "%s: %s", m.Name, s)
						sharded++
					}
				}
			}
		}
	}
	assert.Equal(t, len(ShardingKeys), sharded, "every sharded table gets its Distributed table")
}
