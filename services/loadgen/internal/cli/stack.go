package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/cemhq/cem/services/loadgen/internal/alertloop"
	"github.com/cemhq/cem/services/loadgen/internal/freshness"
	"github.com/cemhq/cem/services/loadgen/internal/httpload"
	"github.com/cemhq/cem/services/loadgen/internal/metrics"
)

func runFreshness(ctx context.Context, args []string, out, log io.Writer) error {
	fs := flag.NewFlagSet("freshness", flag.ContinueOnError)
	var l loadFlags
	l.register(fs)
	var ch chFlags
	ch.register(fs)
	every := fs.Duration("probe-every", 100*time.Millisecond, "probe interval")
	if err := fs.Parse(args); err != nil {
		return err
	}
	conn, err := ch.open(ctx, false)
	if err != nil {
		return err
	}
	defer conn.Close()
	t, err := l.templates(log)
	if err != nil {
		return err
	}
	keys, def := parseKeys(l.keys)
	probeKey := def
	if k, ok := keys["web"]; ok {
		probeKey = k
	}
	pctx, cancel := context.WithTimeout(ctx, l.duration)
	defer cancel()
	var load *httpload.Result
	var loadErr error
	var wg sync.WaitGroup
	if l.rate > 0 {
		wg.Go(func() { load, loadErr = httpload.Run(pctx, l.config(l.rate), t) })
	}
	res, err := freshness.Probe(pctx, conn, freshness.Options{URL: l.url, WriteKey: probeKey, Database: ch.db, Every: *every, Run: strconv.Itoa(int(l.run)) + strconv.FormatInt(time.Now().UnixNano()%1e6, 10)})
	wg.Wait()
	if err != nil {
		return err
	}
	if loadErr != nil {
		return loadErr
	}
	fmt.Fprintf(log, "freshness: %d probes, p50 %.0f ms, p99 %.0f ms, not seen %d; load %v\n", res.Probes, res.Latency.P50, res.Latency.P99, res.Lost, load)
	return printJSON(out, map[string]any{"freshness": res, "load": load})
}

// step is one offered rate of an e2e run.
type step struct {
	Rate       float64          `json:"rate"`
	Load       *httpload.Result `json:"load"`
	LagMax     float64          `json:"lag_max"`
	LagEnd     float64          `json:"lag_end"`
	WrittenEPS float64          `json:"written_eps"`
	// Written is the events rows the processor wrote from the step's start
	// until the settle time after it.
	Written   float64 `json:"written"`
	Sustained bool    `json:"sustained"`
}

func runE2E(ctx context.Context, args []string, out, log io.Writer) error {
	fs := flag.NewFlagSet("e2e", flag.ContinueOnError)
	var l loadFlags
	l.register(fs)
	rates := fs.String("rates", "5000,10000,20000", "offered rates (events/s), ascending")
	murl := fs.String("metrics", "http://127.0.0.1:8082/metrics", "processor metrics")
	settle := fs.Duration("settle", 3*time.Second, "wait after each step before reading the lag")
	lagSeconds := fs.Float64("lag-seconds", 2, "bounded lag: at most this many seconds of the offered rate after settling")
	if err := fs.Parse(args); err != nil {
		return err
	}
	t, err := l.templates(log)
	if err != nil {
		return err
	}
	var steps []step
	best := 0.0
	for _, rs := range strings.Split(*rates, ",") {
		rate, err := strconv.ParseFloat(strings.TrimSpace(rs), 64)
		if err != nil {
			return fmt.Errorf("rate %q: %w", rs, err)
		}
		st, err := e2eStep(ctx, &l, t, rate, *murl, *settle)
		if err != nil {
			return err
		}
		okReq := st.Load.Requests > 0 && st.Load.OK == st.Load.Requests
		// Bounded lag, read twice: the consumer lag metric and the rows
		// written (events the processor holds fetched but unwritten are
		// behind whatever the lag says).
		behind := float64(st.Load.OKEvents) - st.Written
		st.Sustained = okReq && st.Load.Missed == 0 && st.Load.EPS >= 0.95*rate && st.LagEnd <= *lagSeconds*rate && behind <= *lagSeconds*rate
		fmt.Fprintf(log, "e2e %.0f/s: sent %.0f/s, written %.0f/s, lag max %.0f end %.0f, unwritten after settling %.0f, sustained %v\n",
			rate, st.Load.EPS, st.WrittenEPS, st.LagMax, st.LagEnd, behind, st.Sustained)
		steps = append(steps, st)
		if !st.Sustained {
			break
		}
		best = st.Load.EPS
	}
	return printJSON(out, map[string]any{"steps": steps, "sustained_eps": best})
}

func e2eStep(ctx context.Context, l *loadFlags, src httpload.Source, rate float64, murl string, settle time.Duration) (step, error) {
	st := step{Rate: rate}
	w0, err := metrics.Sum(ctx, murl, "cem_processor_rows_written_total", map[string]string{"table": "events"})
	if err != nil {
		return st, err
	}
	start := time.Now()
	lctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() {
		tk := time.NewTicker(time.Second)
		defer tk.Stop()
		for {
			select {
			case <-lctx.Done():
				return
			case <-tk.C:
				if lag, err := metrics.Sum(lctx, murl, "cem_processor_consumer_lag", nil); err == nil {
					st.LagMax = max(st.LagMax, lag)
				}
			}
		}
	})
	st.Load, err = httpload.Run(ctx, l.config(rate), src)
	cancel()
	wg.Wait()
	if err != nil {
		return st, err
	}
	select {
	case <-ctx.Done():
		return st, ctx.Err()
	case <-time.After(settle):
	}
	if st.LagEnd, err = metrics.Sum(ctx, murl, "cem_processor_consumer_lag", nil); err != nil {
		return st, err
	}
	w1, err := metrics.Sum(ctx, murl, "cem_processor_rows_written_total", map[string]string{"table": "events"})
	if err != nil {
		return st, err
	}
	st.Written = w1 - w0
	st.WrittenEPS = st.Written / time.Since(start).Seconds()
	return st, nil
}

func runAlertLoop(ctx context.Context, args []string, out, log io.Writer) error {
	fs := flag.NewFlagSet("alertloop", flag.ContinueOnError)
	var l loadFlags
	l.register(fs)
	listen := fs.String("listen", "127.0.0.1:17095", "address of the webhook receiver (the processor's CEM_WEBHOOK_TARGETS url)")
	secret := fs.String("secret", "", "the target's secret (signatures are verified)")
	source := fs.String("source", "survey", "source of the probe answers (its key from -write-keys)")
	every := fs.Duration("probe-every", 200*time.Millisecond, "probe interval")
	if err := fs.Parse(args); err != nil {
		return err
	}
	keys, def := parseKeys(l.keys)
	key := def
	if k, ok := keys[*source]; ok {
		key = k
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	var load *httpload.Result
	var loadErr error
	var wg sync.WaitGroup
	pctx, cancel := context.WithTimeout(ctx, l.duration)
	defer cancel()
	if l.rate > 0 {
		t, err := l.templates(log)
		if err != nil {
			return err
		}
		wg.Go(func() { load, loadErr = httpload.Run(pctx, l.config(l.rate), t) })
	}
	res, err := alertloop.Run(pctx, alertloop.Options{URL: l.url, WriteKey: key, Listener: ln, Secret: *secret, Every: *every,
		Run: strconv.Itoa(int(l.run)) + strconv.FormatInt(time.Now().UnixNano()%1e6, 10)})
	wg.Wait()
	if err != nil {
		return err
	}
	if loadErr != nil {
		return loadErr
	}
	fmt.Fprintf(log, "alert loop: %d probes, delivered %d (p50 %.0f ms, p99 %.0f ms), not delivered %d, bad signatures %d; load %v\n",
		res.Probes, res.Delivered, res.Latency.P50, res.Latency.P99, res.Lost, res.BadSignatures, load)
	return printJSON(out, map[string]any{"alertloop": res, "load": load})
}
