package deploytest

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type dashboard struct {
	UID    string  `json:"uid"`
	Title  string  `json:"title"`
	Panels []panel `json:"panels"`
}

type panel struct {
	ID         int        `json:"id"`
	Type       string     `json:"type"`
	Title      string     `json:"title"`
	Datasource datasource `json:"datasource"`
	Targets    []struct {
		Datasource datasource `json:"datasource"`
		Expr       string     `json:"expr"`
		RawSQL     string     `json:"rawSql"`
	} `json:"targets"`
	GridPos struct{ X, Y, W, H int } `json:"gridPos"`
}

type datasource struct {
	Type string `json:"type"`
	UID  string `json:"uid"`
}

// dashboards loads every provisioned dashboard by file name.
func dashboards(t *testing.T) map[string]dashboard {
	t.Helper()
	files, err := filepath.Glob(path(t, "deploy", "grafana", "dashboards", "*.json"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	out := map[string]dashboard{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		require.NoError(t, err)
		var d dashboard
		require.NoError(t, json.Unmarshal(b, &d), f)
		out[filepath.Base(f)] = d
	}
	return out
}

// sqlTargets returns every ClickHouse query of the dashboards by "file/panel".
func sqlTargets(t *testing.T) map[string]string {
	t.Helper()
	out := map[string]string{}
	for file, d := range dashboards(t) {
		for _, p := range d.Panels {
			for _, tg := range p.Targets {
				if tg.RawSQL != "" {
					out[file+"/"+p.Title] = tg.RawSQL
				}
			}
		}
	}
	return out
}

func TestGrafanaProvisioning(t *testing.T) {
	var ds struct {
		Datasources []struct {
			Name     string         `json:"name"`
			UID      string         `json:"uid"`
			Type     string         `json:"type"`
			URL      string         `json:"url"`
			JSONData map[string]any `json:"jsonData"`
		} `json:"datasources"`
	}
	readYAML(t, &ds, "deploy", "grafana", "provisioning", "datasources", "cem.yml")
	types := map[string]string{}
	for _, d := range ds.Datasources {
		types[d.UID] = d.Type
	}
	assert.Equal(t, "prometheus", types["cem-prometheus"])
	assert.Equal(t, "grafana-clickhouse-datasource", types["cem-clickhouse"])

	var prov struct {
		Providers []struct {
			Options struct {
				Path string `json:"path"`
			} `json:"options"`
		} `json:"providers"`
	}
	readYAML(t, &prov, "deploy", "grafana", "provisioning", "dashboards", "cem.yml")
	require.Len(t, prov.Providers, 1)
	grafana := loadCompose(t).Services["grafana"]
	assert.Contains(t, grafana.Volumes, "./grafana/dashboards:"+prov.Providers[0].Options.Path+":ro", "compose mounts the dashboards where the provider reads them")

	records := recordingRules(t)
	uids := map[string]bool{}
	for file, d := range dashboards(t) {
		t.Run(file, func(t *testing.T) {
			assert.True(t, strings.HasPrefix(d.UID, "cem-"), "uid %q", d.UID)
			assert.False(t, uids[d.UID], "duplicate uid %s", d.UID)
			uids[d.UID] = true
			assert.NotEmpty(t, d.Title)
			ids := map[int]bool{}
			for _, p := range d.Panels {
				assert.False(t, ids[p.ID], "duplicate panel id %d", p.ID)
				ids[p.ID] = true
				assert.LessOrEqual(t, p.GridPos.X+p.GridPos.W, 24, "%s fits the grid", p.Title)
				if p.Type == "row" {
					continue
				}
				require.NotEmpty(t, p.Targets, "%s has queries", p.Title)
				assert.Equal(t, types[p.Datasource.UID], p.Datasource.Type, "%s: panel data source is provisioned", p.Title)
				for _, tg := range p.Targets {
					assert.Equal(t, p.Datasource, tg.Datasource, "%s: target data source", p.Title)
					switch p.Datasource.Type {
					case "prometheus":
						require.NotEmpty(t, tg.Expr, p.Title)
						checkExpr(t, file+"/"+p.Title, tg.Expr, records)
					case "grafana-clickhouse-datasource":
						require.NotEmpty(t, tg.RawSQL, p.Title)
					}
				}
			}
		})
	}
	for _, want := range []string{"ingestion.json", "processing.json", "clickhouse-writes.json", "freshness.json", "cx-overview.json"} {
		assert.Contains(t, dashboards(t), want)
	}
}

// TestDashboardPromQLParses feeds every dashboard expression to promtool as
// a recording rule, so PromQL syntax errors fail here rather than in Grafana.
func TestDashboardPromQLParses(t *testing.T) {
	promtool := lookTool(t, "promtool")
	var b strings.Builder
	b.WriteString("groups:\n  - name: dashboards\n    rules:\n")
	n := 0
	for _, d := range dashboards(t) {
		for _, p := range d.Panels {
			for _, tg := range p.Targets {
				if tg.Expr == "" {
					continue
				}
				n++
				q, err := json.Marshal(tg.Expr)
				require.NoError(t, err)
				b.WriteString("      - record: dashboard:expr:n" + strconv.Itoa(n) + "\n        expr: " + string(q) + "\n")
			}
		}
	}
	require.Positive(t, n)
	f := filepath.Join(t.TempDir(), "dashboards.yml")
	require.NoError(t, os.WriteFile(f, []byte(b.String()), 0o644))
	out, err := exec.Command(promtool, "check", "rules", f).CombinedOutput()
	require.NoError(t, err, "%s", out)
	assert.Contains(t, string(out), "SUCCESS")
}

var macroRE = regexp.MustCompile(`\$__timeFilter\(([a-z_]+)\)`)
