package cli

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"testing"
)

func TestStage2MediansOfRuns(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) {
		if err := os.WriteFile(filepath.Join(dir, name+".json"), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// Three back-to-back pairs; the second baseline is an outlier.
	for i, r := range [][2]float64{{50000, 40000}, {20000, 42000}, {48000, 38000}} {
		write(fmt.Sprintf("baseline_drain_%d", i+1), fmt.Sprintf(`{"eps":%g,"events":500000,"cpu_s":%d,"clickhouse_cpu_s":4}`, r[0], 8+i))
		write(fmt.Sprintf("processor_%d", i+1), fmt.Sprintf(`{"eps":%g,"events":500000,"peak_rss_mb":%d,"state_customers":100,"cpu_s":%d}`, r[1], 1000+i, 11-i))
	}
	f := map[string]float64{}
	stage2(dir, f)
	want := map[string]float64{
		"processor_baseline_eps": 48000, "processor_eps": 40000, "processor_runs": 3,
		"processor_ratio":     40000.0 / 50000, // ratios 0.8, 2.1, 0.79: the median run, not median/median
		"processor_ratio_min": 38000.0 / 48000, "processor_ratio_max": 42000.0 / 20000,
		"processor_rss_mb": 1002, "processor_state_customers": 100,
		// CPU per 1M events: medians of 16, 18, 20 and of 22, 20, 18.
		"processor_baseline_cpu_s_per_m": 18, "processor_baseline_ch_cpu_s_per_m": 8, "processor_cpu_s_per_m": 20,
	}
	for k, v := range want {
		if math.Abs(f[k]-v) > 1e-9 {
			t.Errorf("%s = %v, want %v", k, f[k], v)
		}
	}
	if !math.IsNaN(f["processor_ch_cpu_s_per_m"]) {
		t.Errorf("processor ClickHouse CPU = %v, want NaN (not measured)", f["processor_ch_cpu_s_per_m"])
	}
}

func TestParseStatCPU(t *testing.T) {
	// A command name with spaces and a parenthesis; utime 250, stime 50.
	got, ok := parseStatCPU("4242 (my (proc) x) S 1 4242 4242 0 -1 4194304 100 0 0 0 250 50 0 0 20 0 8 0 100 0 0")
	if !ok || got != 3 {
		t.Fatalf("parseStatCPU = %v, %v; want 3, true", got, ok)
	}
	if _, ok := parseStatCPU("4242 (truncated"); ok {
		t.Fatal("a line without the fields parsed")
	}
	if v, ok := cpuSeconds(os.Getpid()); !ok || v < 0 {
		t.Fatalf("cpuSeconds(self) = %v, %v", v, ok)
	}
}

func TestStage2SingleLegacyRun(t *testing.T) {
	dir := t.TempDir()
	_ = os.WriteFile(filepath.Join(dir, "baseline_drain.json"), []byte(`{"eps":100}`), 0o644)
	_ = os.WriteFile(filepath.Join(dir, "processor.json"), []byte(`{"eps":90}`), 0o644)
	f := map[string]float64{}
	stage2(dir, f)
	if f["processor_ratio"] != 0.9 || f["processor_runs"] != 1 {
		t.Fatalf("ratio %v runs %v, want 0.9 and 1", f["processor_ratio"], f["processor_runs"])
	}
	empty := map[string]float64{}
	stage2(t.TempDir(), empty)
	if !math.IsNaN(empty["processor_ratio"]) {
		t.Fatalf("no runs: ratio %v, want NaN", empty["processor_ratio"])
	}
}
