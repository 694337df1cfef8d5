package cli

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"

	"github.com/cemhq/cem/services/loadgen/internal/svgchart"
)

// get reads dir/name.json into a generic map (missing: nil).
func get(dir, name string) map[string]any {
	b, err := os.ReadFile(filepath.Join(dir, name+".json"))
	if err != nil {
		return nil
	}
	var m map[string]any
	if json.Unmarshal(b, &m) != nil {
		return nil
	}
	return m
}

// num walks m by keys and returns the number there, or NaN.
func num(m map[string]any, path ...string) float64 {
	var cur any = m
	for _, k := range path {
		mm, ok := cur.(map[string]any)
		if !ok {
			return math.NaN()
		}
		cur = mm[k]
	}
	f, ok := cur.(float64)
	if !ok {
		return math.NaN()
	}
	return f
}

// runs reads the repeated results dir/name_1.json, dir/name_2.json, ...
// (and dir/name.json, the single result of earlier runs), in run order.
func runs(dir, name string) []map[string]any {
	var out []map[string]any
	if m := get(dir, name); m != nil {
		out = append(out, m)
	}
	for i := 1; ; i++ {
		m := get(dir, fmt.Sprintf("%s_%d", name, i))
		if m == nil {
			return out
		}
		out = append(out, m)
	}
}

// finite returns xs without the NaNs, in ascending order.
func finite(xs []float64) []float64 {
	var v []float64
	for _, x := range xs {
		if !math.IsNaN(x) {
			v = append(v, x)
		}
	}
	sort.Float64s(v)
	return v
}

// median of xs without the NaNs (NaN when none is left).
func median(xs []float64) float64 {
	v := finite(xs)
	switch n := len(v); {
	case n == 0:
		return math.NaN()
	case n%2 == 0:
		return (v[n/2-1] + v[n/2]) / 2
	default:
		return v[n/2]
	}
}

// extremes are the smallest and largest of xs without the NaNs (NaN, NaN
// when none is left).
func extremes(xs []float64) (lo, hi float64) {
	v := finite(xs)
	if len(v) == 0 {
		return math.NaN(), math.NaN()
	}
	return v[0], v[len(v)-1]
}

// stage2 summarises the repeated runs of stage 2: the medians of the
// baseline's and the processor's events/s, the median of the runs' ratios
// (each run pairs a baseline and a processor drain made back to back) with
// its range, and the processor's largest peak RSS.
func stage2(dir string, f map[string]float64) {
	drains, procs := runs(dir, "baseline_drain"), runs(dir, "processor")
	var base, proc, ratios, rss, state []float64
	// CPU seconds per 1M events: of the drain or the processor, and of
	// ClickHouse over the same window.
	var baseCPU, baseCH, procCPU, procCH []float64
	perM := func(m map[string]any, key string) float64 { return ratio(num(m, key), num(m, "events")/1e6) }
	for i := range max(len(drains), len(procs)) {
		b, p := math.NaN(), math.NaN()
		if i < len(drains) {
			b = num(drains[i], "eps")
			baseCPU, baseCH = append(baseCPU, perM(drains[i], "cpu_s")), append(baseCH, perM(drains[i], "clickhouse_cpu_s"))
		}
		if i < len(procs) {
			p = num(procs[i], "eps")
			rss = append(rss, num(procs[i], "peak_rss_mb"))
			state = append(state, num(procs[i], "state_customers"))
			procCPU, procCH = append(procCPU, perM(procs[i], "cpu_s")), append(procCH, perM(procs[i], "clickhouse_cpu_s"))
		}
		base, proc, ratios = append(base, b), append(proc, p), append(ratios, ratio(p, b))
	}
	f["processor_baseline_eps"], f["processor_eps"], f["processor_ratio"] = median(base), median(proc), median(ratios)
	f["processor_runs"] = float64(len(procs))
	f["processor_ratio_min"], f["processor_ratio_max"] = extremes(ratios)
	_, f["processor_rss_mb"] = extremes(rss)
	f["processor_state_customers"] = median(state)
	f["processor_baseline_cpu_s_per_m"], f["processor_baseline_ch_cpu_s_per_m"] = median(baseCPU), median(baseCH)
	f["processor_cpu_s_per_m"], f["processor_ch_cpu_s_per_m"] = median(procCPU), median(procCH)
}

func ratio(a, b float64) float64 {
	if b == 0 || math.IsNaN(a) || math.IsNaN(b) {
		return math.NaN()
	}
	return a / b
}

func runReport(_ context.Context, args []string, out, log io.Writer) error {
	fs := flag.NewFlagSet("report", flag.ContinueOnError)
	dir := fs.String("dir", "", "directory with the stage results")
	svg := fs.String("svg", "", "write the chart here")
	jsonOut := fs.String("json-out", "", "also write the figures here")
	mode := fs.String("mode", "full", "quick or full (shown in the chart title)")
	chFS := fs.String("clickhouse-fs", "", "the filesystem under ClickHouse's data (recorded as clickhouse_fs)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	base, coll := get(*dir, "baseline_http"), get(*dir, "collector_http")
	e2e, fresh, q := get(*dir, "e2e"), get(*dir, "freshness"), get(*dir, "queries")
	over, ds := get(*dir, "collector_overload"), get(*dir, "dataset")
	sPre, sDrain, sState := get(*dir, "scale_preload"), get(*dir, "scale_drain"), get(*dir, "scale_state")
	sRestart, sRecover, sCheck := get(*dir, "scale_restart"), get(*dir, "scale_recovery"), get(*dir, "scale_check")
	loop, sLimit := get(*dir, "alertloop"), get(*dir, "scale_limit")
	f := map[string]float64{
		"collector_baseline_eps":    num(base, "eps"),
		"collector_baseline_p99_ms": num(base, "p99_ms"),
		"collector_eps":             num(coll, "eps"),
		"collector_p50_ms":          num(coll, "p50_ms"),
		"collector_p99_ms":          num(coll, "p99_ms"),
		"e2e_eps":                   num(e2e, "sustained_eps"),
		"freshness_p50_ms":          num(fresh, "freshness", "latency", "p50_ms"),
		"freshness_p99_ms":          num(fresh, "freshness", "latency", "p99_ms"),
		"query_rows":                num(q, "rows"),
		"timeline_p50_ms":           num(q, "timeline", "p50_ms"),
		"timeline_p99_ms":           num(q, "timeline", "p99_ms"),
		"funnel_p50_ms":             num(q, "funnel", "p50_ms"),
		"funnel_p99_ms":             num(q, "funnel", "p99_ms"),
		"retention_p50_ms":          num(q, "retention", "p50_ms"),
		"retention_p99_ms":          num(q, "retention", "p99_ms"),
		"segment_p50_ms":            num(q, "segment", "p50_ms"),
		"segment_p99_ms":            num(q, "segment", "p99_ms"),
		"dataset_load_eps":          num(ds, "eps"),
		"collector_overload_eps":    num(over, "load", "eps"),
		"collector_rss_overload_mb": num(over, "rss", "peak_rss_mb"),
		"scale_keys":                num(sPre, "keys"),
		"scale_eps":                 num(sDrain, "eps"),
		"scale_peak_rss_mb":         max(num(sDrain, "peak_rss_mb"), num(sState, "peak_rss_mb")),
		"scale_memory_bound_mb":     num(sLimit, "limit_mb"),
		"scale_state_customers":     num(sState, "state_customers"),
		"scale_state_bytes":         num(sState, "state_bytes"),
		"scale_heap_inuse_bytes":    num(sState, "heap_inuse_bytes"),
		"restart_to_first_flush_s":  num(sRestart, "seconds"),
		"kill9_recovery_s":          num(sRecover, "seconds"),
		"scale_distinct_events":     num(sCheck, "distinct_events"),
		"scale_session_events":      num(sCheck, "session_events"),
		"alert_probes":              num(loop, "alertloop", "probes"),
		"alert_not_delivered":       num(loop, "alertloop", "not_delivered"),
		"alert_delivery_p50_ms":     num(loop, "alertloop", "latency", "p50_ms"),
		"alert_delivery_p99_ms":     num(loop, "alertloop", "latency", "p99_ms"),
		"alert_load_eps":            num(loop, "load", "eps"),
	}
	stage2(*dir, f)
	f["collector_ratio"] = ratio(f["collector_eps"], f["collector_baseline_eps"])
	f["e2e_ratio"] = ratio(f["e2e_eps"], f["processor_baseline_eps"])
	f["processor_rss_mb_per_100k_customers"] = ratio(f["processor_rss_mb"], f["processor_state_customers"]/100000)
	f["scale_rss_mb_per_100k_keys"] = ratio(f["scale_peak_rss_mb"], f["scale_state_customers"]/100000)
	f["scale_heap_bytes_per_key"] = ratio(f["scale_heap_inuse_bytes"], f["scale_state_customers"])
	f["scale_state_bytes_per_key"] = ratio(f["scale_state_bytes"], f["scale_state_customers"])
	rows := []struct{ name, key, unit, target string }{
		{"collector baseline (decode-only)", "collector_baseline_eps", "events/s", ""},
		{"collector (acks=all, dev broker)", "collector_eps", "events/s", ""},
		{"collector / baseline", "collector_ratio", "", ">= 0.5"},
		{"collector p50 at half saturation", "collector_p50_ms", "ms", ""},
		{"collector p99 at half saturation", "collector_p99_ms", "ms", ""},
		{"processor baseline (decode+insert)", "processor_baseline_eps", "events/s", ""},
		{"processor", "processor_eps", "events/s", ""},
		{"processor / baseline (median of runs)", "processor_ratio", "", ">= 0.8"},
		{"processor / baseline, lowest run", "processor_ratio_min", "", ""},
		{"processor / baseline, highest run", "processor_ratio_max", "", ""},
		{"processor baseline CPU per 1M events", "processor_baseline_cpu_s_per_m", "s", ""},
		{"  ClickHouse CPU during it, per 1M", "processor_baseline_ch_cpu_s_per_m", "s", ""},
		{"processor CPU per 1M events", "processor_cpu_s_per_m", "s", ""},
		{"  ClickHouse CPU during it, per 1M", "processor_ch_cpu_s_per_m", "s", ""},
		{"end-to-end sustained", "e2e_eps", "events/s", ""},
		{"end-to-end / direct-insert baseline", "e2e_ratio", "", ">= 0.3"},
		{"freshness p50", "freshness_p50_ms", "ms", ""},
		{"freshness p99", "freshness_p99_ms", "ms", "< 1000"},
		{"alert: detractor answers probed", "alert_probes", "answers", ""},
		{"alert: 2xx -> signed webhook delivery p50", "alert_delivery_p50_ms", "ms", ""},
		{"alert: 2xx -> signed webhook delivery p99", "alert_delivery_p99_ms", "ms", "< 5000"},
		{"alert: not delivered", "alert_not_delivered", "answers", "0"},
		{"query dataset", "query_rows", "events", ""},
		{"timeline p50 / p99", "timeline_p99_ms", "ms", "< 100"},
		{"4-step funnel p99", "funnel_p99_ms", "ms", "< 2000"},
		{"retention p99", "retention_p99_ms", "ms", ""},
		{"segment (sleepers) p99", "segment_p99_ms", "ms", ""},
		{"collector peak RSS under overload", "collector_rss_overload_mb", "MB", "bounded"},
		{"processor peak RSS (stage 2)", "processor_rss_mb", "MB", ""},
		{"processor RSS per 100k customers", "processor_rss_mb_per_100k_customers", "MB", ""},
		{"scale: distinct customer keys", "scale_keys", "keys", ""},
		{"scale: processor", "scale_eps", "events/s", ""},
		{"scale: peak RSS", "scale_peak_rss_mb", "MB", "< bound"},
		{"scale: configured memory bound (GOMEMLIMIT 80 %)", "scale_memory_bound_mb", "MB", ""},
		{"scale: peak RSS per 100k keys held", "scale_rss_mb_per_100k_keys", "MB", ""},
		{"scale: Go heap per key held", "scale_heap_bytes_per_key", "B", ""},
		{"scale: session state estimate per key", "scale_state_bytes_per_key", "B", ""},
		{"scale: restart to first flush", "restart_to_first_flush_s", "s", "< 10"},
		{"scale: kill -9 to next first flush", "kill9_recovery_s", "s", ""},
		{"scale: distinct events", "scale_distinct_events", "events", ""},
		{"scale: events counted in sessions", "scale_session_events", "events", "= distinct"},
	}
	fmt.Fprintf(out, "%-38s %14s %-9s %s\n", "figure", "value", "unit", "target")
	for _, r := range rows {
		v := fmt.Sprintf("%.2f", f[r.key])
		if r.key == "timeline_p99_ms" {
			v = fmt.Sprintf("%.1f / %.1f", f["timeline_p50_ms"], f["timeline_p99_ms"])
		} else if f[r.key] >= 1000 {
			v = fmt.Sprintf("%.0f", f[r.key])
		}
		fmt.Fprintf(out, "%-38s %14s %-9s %s\n", r.name, v, r.unit, r.target)
	}
	if *svg != "" {
		if err := writeChart(*svg, *mode, f); err != nil {
			return err
		}
		fmt.Fprintf(log, "chart: %s\n", *svg)
	}
	clean := map[string]any{}
	keys := make([]string, 0, len(f))
	for k := range f {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := f[k]
		if math.IsNaN(v) || math.IsInf(v, 0) {
			clean[k] = nil
		} else {
			clean[k] = math.Round(v*1000) / 1000
		}
	}
	if *chFS != "" {
		clean["clickhouse_fs"] = *chFS
	}
	if *jsonOut != "" {
		b, _ := json.MarshalIndent(clean, "", "  ")
		if err := os.WriteFile(*jsonOut, append(b, '\n'), 0o644); err != nil {
			return err
		}
	}
	return printJSON(out, clean)
}

func writeChart(path, mode string, f map[string]float64) error {
	v := func(k string) float64 {
		if math.IsNaN(f[k]) {
			return 0
		}
		return f[k]
	}
	panels := []svgchart.Panel{
		{Title: "Throughput", Unit: "events/s", Bars: []svgchart.Bar{
			{Label: "collector baseline", Value: v("collector_baseline_eps"), Color: "#9ab"},
			{Label: "collector", Value: v("collector_eps"), Color: "steelblue"},
			{Label: "processor baseline", Value: v("processor_baseline_eps"), Color: "#9ab"},
			{Label: "processor", Value: v("processor_eps"), Color: "seagreen"},
			{Label: "end-to-end sustained", Value: v("e2e_eps"), Color: "darkorange"},
		}},
		{Title: "Latency", Unit: "ms", Bars: []svgchart.Bar{
			{Label: "collector p50 (half sat.)", Value: v("collector_p50_ms")},
			{Label: "collector p99 (half sat.)", Value: v("collector_p99_ms")},
			{Label: "freshness p50", Value: v("freshness_p50_ms"), Color: "darkorange"},
			{Label: "freshness p99", Value: v("freshness_p99_ms"), Color: "darkorange"},
			{Label: "timeline p99", Value: v("timeline_p99_ms"), Color: "purple"},
			{Label: "4-step funnel p99", Value: v("funnel_p99_ms"), Color: "purple"},
			{Label: "retention p99", Value: v("retention_p99_ms"), Color: "purple"},
			{Label: "segment p99", Value: v("segment_p99_ms"), Color: "purple"},
			{Label: "alert 2xx -> webhook p99", Value: v("alert_delivery_p99_ms"), Color: "crimson"},
		}},
		{Title: fmt.Sprintf("Processor memory, %.0f customer keys", v("scale_keys")), Unit: "MB", Bars: []svgchart.Bar{
			{Label: "peak RSS", Value: v("scale_peak_rss_mb"), Color: "seagreen"},
			{Label: "configured bound", Value: v("scale_memory_bound_mb"), Color: "#9ab"},
			{Label: "session state (estimate)", Value: v("scale_state_bytes") / 1e6, Color: "seagreen"},
		}},
		{Title: "Processor restarts", Unit: "s", Bars: []svgchart.Bar{
			{Label: "restart to first flush", Value: v("restart_to_first_flush_s"), Color: "seagreen"},
			{Label: "kill -9 to next first flush", Value: v("kill9_recovery_s"), Color: "darkorange"},
		}},
	}
	fh, err := os.Create(path)
	if err != nil {
		return err
	}
	title := fmt.Sprintf("cem bench (%s), %.0f-event query dataset", mode, v("query_rows"))
	if err := svgchart.Write(fh, title, panels); err != nil {
		_ = fh.Close()
		return err
	}
	return fh.Close()
}
