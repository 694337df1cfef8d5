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
		cluster, name string
		args          []string
		want          string
	}{
		{"", "ReplacingMergeTree", []string{"version"}, "ReplacingMergeTree(version)"},
		{"", "MergeTree", nil, "MergeTree()"},
		{"c1", "ReplacingMergeTree", []string{"version"},
			"ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/{database}/{table}', '{replica}', version)"},
		{"c1", "MergeTree", nil, "ReplicatedMergeTree('/clickhouse/tables/{shard}/{database}/{table}', '{replica}')"},
	}
	for _, tt := range tests {
		t.Run(tt.cluster+tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, Options{Cluster: tt.cluster}.engine(tt.name, tt.args...))
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
	sql, err := Render("t", tmpl, Options{Database: "cem", Cluster: "prod"})
	require.NoError(t, err)
	stmts := Split(sql)
	require.Len(t, stmts, 2)
	assert.Equal(t, "-- a comment;\nCREATE TABLE IF NOT EXISTS cem.t ON CLUSTER 'prod' (v UInt64)\n"+
		"ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/{database}/{table}', '{replica}', v) ORDER BY v", stmts[0])
	assert.Equal(t, "ALTER TABLE cem.t ON CLUSTER 'prod' ADD COLUMN x String", stmts[1])
}

func TestRenderSingleNode(t *testing.T) {
	sql, err := Render("t", tmpl, Options{})
	require.NoError(t, err)
	assert.Contains(t, sql, "CREATE TABLE IF NOT EXISTS cem.t  (v UInt64)\nENGINE = ReplacingMergeTree(v) ORDER BY v;")
	assert.NotContains(t, sql, "CLUSTER")
}

func TestRenderErrors(t *testing.T) {
	_, err := Render("bad", "{{.Nope}}", Options{})
	assert.Error(t, err)
	_, err = Render("bad", "{{engine", Options{})
	assert.Error(t, err)
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
	for _, m := range ms {
		for _, opts := range []Options{{}, {Database: "x", Cluster: "c"}} {
			stmts, err := m.Statements(opts)
			require.NoError(t, err, m.Name)
			require.NotEmpty(t, stmts, m.Name)
			for _, s := range stmts {
				assert.Equal(t, opts.Cluster != "", strings.Contains(s, "ON CLUSTER"), "%s: %s", m.Name, s)
			}
		}
	}
}
