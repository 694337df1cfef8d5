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
	pid := fs.Int("pid", 0, "processor pid (RSS)")
	timeout := fs.Duration("timeout", 10*time.Minute, "give up after")
	if err := fs.Parse(args); err != nil {
		return err
	}
	deadline := time.Now().Add(*timeout)
	var t0 time.Time
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
			t0 = time.Now()
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
			res := map[string]float64{"events": written, "seconds": el.Seconds(), "eps": *n / el.Seconds(),
				"rss_mb": peakRSS / 1024, "peak_rss_mb": hwm / 1024, "state_customers": state}
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
