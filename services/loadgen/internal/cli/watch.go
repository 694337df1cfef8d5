package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/cemhq/cem/services/loadgen/internal/metrics"
)

// cpuSeconds is the CPU time (user + system) pid has used, from
// /proc/<pid>/stat; false when it cannot be read (no such process, not
// Linux, pid 0).
func cpuSeconds(pid int) (float64, bool) {
	if pid <= 0 {
		return 0, false
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, false
	}
	return parseStatCPU(string(b))
}

// parseStatCPU reads utime and stime (fields 14 and 15, in clock ticks of
// 1/100 s, USER_HZ on Linux) from a /proc/<pid>/stat line. The command
// name (field 2) may hold spaces and parentheses: the fields after it are
// counted from its last ')'.
func parseStatCPU(stat string) (float64, bool) {
	i := strings.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, false
	}
	f := strings.Fields(stat[i+1:]) // field 3 (state) onwards
	if len(f) < 13 {
		return 0, false
	}
	utime, err1 := strconv.ParseFloat(f[11], 64)
	stime, err2 := strconv.ParseFloat(f[12], 64)
	if err1 != nil || err2 != nil {
		return 0, false
	}
	return (utime + stime) / 100, true
}

// cpuWindow measures the CPU seconds of a process and of the ClickHouse
// server between startCPU and stop.
type cpuWindow struct {
	pids  [2]int
	start [2]float64
	ok    [2]bool
}

// CPUFigures are a cpuWindow's result; a figure that could not be read
// (no pid given, process gone) is absent.
type CPUFigures struct {
	CPU        *float64 `json:"cpu_s,omitempty"`
	ClickHouse *float64 `json:"clickhouse_cpu_s,omitempty"`
}

func startCPU(pid, clickhousePid int) *cpuWindow {
	w := &cpuWindow{pids: [2]int{pid, clickhousePid}}
	for i, p := range w.pids {
		w.start[i], w.ok[i] = cpuSeconds(p)
	}
	return w
}

func (w *cpuWindow) stop() CPUFigures {
	var used [2]*float64
	for i, p := range w.pids {
		if v, ok := cpuSeconds(p); ok && w.ok[i] {
			d := v - w.start[i]
			used[i] = &d
		}
	}
	return CPUFigures{CPU: used[0], ClickHouse: used[1]}
}

// rssKB reads VmRSS and VmHWM (peak) of pid in KB.
func rssKB(pid int) (rss, peak float64) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		v, _ := strconv.ParseFloat(f[1], 64)
		switch f[0] {
		case "VmRSS:":
			rss = v
		case "VmHWM:":
			peak = v
		}
	}
	return rss, peak
}

// runWatch times the processor draining a preloaded topic: from the first
// consumed message to rows_written_total{table="events"} >= -events.
func runWatch(ctx context.Context, args []string, out, log io.Writer) error {
	fs := flag.NewFlagSet("watch", flag.ContinueOnError)
	murl := fs.String("metrics", "http://127.0.0.1:8082/metrics", "processor metrics")
	n := fs.Float64("events", 0, "events expected in the events table")
	pid := fs.Int("pid", 0, "processor pid (RSS, CPU)")
	chPid := fs.Int("clickhouse-pid", 0, "ClickHouse server pid: its CPU seconds over the same window (0: not measured)")
	timeout := fs.Duration("timeout", 10*time.Minute, "give up after")
	if err := fs.Parse(args); err != nil {
		return err
	}
	deadline := time.Now().Add(*timeout)
	var t0 time.Time
	var cpu *cpuWindow
	var peakRSS, state float64
	for {
		if time.Now().After(deadline) {
			return fmt.Errorf("timed out: fewer than %.0f rows written", *n)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
		// One scrape per poll: scrapes cost the processor CPU that the
		// baseline it is compared with does not pay.
		page, err := metrics.Scrape(ctx, *murl)
		if err != nil {
			continue
		}
		if page.Sum("cem_processor_messages_consumed_total", nil) > 0 && t0.IsZero() {
			t0, cpu = time.Now(), startCPU(*pid, *chPid)
		}
		if *pid > 0 {
			r, _ := rssKB(*pid)
			peakRSS = max(peakRSS, r)
		}
		state = max(state, page.Sum("cem_processor_state_customers", nil))
		written := page.Sum("cem_processor_rows_written_total", map[string]string{"table": "events"})
		if written >= *n && !t0.IsZero() {
			el := time.Since(t0)
			_, hwm := rssKB(*pid)
			used := cpu.stop()
			res := map[string]float64{"events": written, "seconds": el.Seconds(), "eps": *n / el.Seconds(),
				"rss_mb": peakRSS / 1024, "peak_rss_mb": hwm / 1024, "state_customers": state}
			if used.CPU != nil {
				res["cpu_s"] = *used.CPU
			}
			if used.ClickHouse != nil {
				res["clickhouse_cpu_s"] = *used.ClickHouse
			}
			fmt.Fprintf(log, "processor: %.0f events in %.2fs = %.0f events/s, rss %.0f MB, %.0f customers in state\n", written, el.Seconds(), res["eps"], peakRSS/1024, state)
			return printJSON(out, res)
		}
	}
}

// runRSS prints the current and peak RSS of a process in MB.
func runRSS(_ context.Context, args []string, out, _ io.Writer) error {
	fs := flag.NewFlagSet("rss", flag.ContinueOnError)
	pid := fs.Int("pid", 0, "process id")
	if err := fs.Parse(args); err != nil {
		return err
	}
	r, p := rssKB(*pid)
	return printJSON(out, map[string]float64{"rss_mb": r / 1024, "peak_rss_mb": p / 1024})
}

// runFirstFlush waits for a processor's first written events row and prints
// the seconds since -since (Unix ms: the processor's start, or the kill -9
// of its predecessor).
func runFirstFlush(ctx context.Context, args []string, out, log io.Writer) error {
	fs := flag.NewFlagSet("firstflush", flag.ContinueOnError)
	murl := fs.String("metrics", "http://127.0.0.1:8082/metrics", "processor metrics")
	since := fs.Int64("since", 0, "start of the measurement, Unix ms")
	timeout := fs.Duration("timeout", 5*time.Minute, "give up after")
	if err := fs.Parse(args); err != nil {
		return err
	}
	t0 := time.UnixMilli(*since)
	deadline := time.Now().Add(*timeout)
	for time.Now().Before(deadline) {
		written, err := metrics.Sum(ctx, *murl, "cem_processor_rows_written_total", map[string]string{"table": "events"})
		if err == nil && written > 0 {
			el := time.Since(t0)
			fmt.Fprintf(log, "first flush %.2fs after the start\n", el.Seconds())
			return printJSON(out, map[string]float64{"seconds": el.Seconds(), "rows": written})
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
	return fmt.Errorf("no events row written within %s", *timeout)
}

// runState prints the processor's session state gauges and its RSS.
func runState(ctx context.Context, args []string, out, _ io.Writer) error {
	fs := flag.NewFlagSet("state", flag.ContinueOnError)
	murl := fs.String("metrics", "http://127.0.0.1:8082/metrics", "processor metrics")
	pid := fs.Int("pid", 0, "processor pid")
	if err := fs.Parse(args); err != nil {
		return err
	}
	res := map[string]float64{}
	for k, name := range map[string]string{
		"state_customers": "cem_processor_state_customers", "state_bytes": "cem_processor_state_bytes",
		"heap_inuse_bytes": "go_memstats_heap_inuse_bytes", "replays": "cem_processor_session_replays_total",
	} {
		v, err := metrics.Sum(ctx, *murl, name, nil)
		if err != nil {
			return err
		}
		res[k] = v
	}
	r, p := rssKB(*pid)
	res["rss_mb"], res["peak_rss_mb"] = r/1024, p/1024
	return printJSON(out, res)
}
