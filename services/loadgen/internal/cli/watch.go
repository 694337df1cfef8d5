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
		consumed, err := metrics.Sum(ctx, *murl, "cem_processor_messages_consumed_total", "")
		if err != nil {
			continue
		}
		if consumed > 0 && t0.IsZero() {
			t0 = time.Now()
		}
		if *pid > 0 {
			r, _ := rssKB(*pid)
			peakRSS = max(peakRSS, r)
		}
		if s, err := metrics.Sum(ctx, *murl, "cem_processor_state_customers", ""); err == nil {
			state = max(state, s)
		}
		written, err := metrics.Sum(ctx, *murl, "cem_processor_rows_written_total", `table="events"`)
		if err == nil && written >= *n && !t0.IsZero() {
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
