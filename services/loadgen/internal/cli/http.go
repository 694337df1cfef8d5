package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/cemhq/cem/services/loadgen/internal/httpload"
	"github.com/cemhq/cem/services/loadgen/internal/payload"
)

// loadFlags are the flags of modes that post batches.
type loadFlags struct {
	url, keys          string
	seed               uint64
	batches, batchSize int
	run                uint
	rate               float64
	conns              int
	duration           time.Duration
	events             int64
}

func (l *loadFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&l.url, "url", "http://127.0.0.1:8080/v1/batch", "batch endpoint")
	fs.StringVar(&l.keys, "write-keys", "", "write keys: source:key,... (a bare key is used for every source)")
	fs.Uint64Var(&l.seed, "seed", 1, "population seed")
	fs.IntVar(&l.batches, "batches", 400, "distinct batch templates (replayed with fresh ids)")
	fs.IntVar(&l.batchSize, "batch-size", 100, "events per batch")
	fs.UintVar(&l.run, "run", uint(time.Now().Unix()&0xff), "run number (0-255) keeping ids of runs apart")
	fs.Float64Var(&l.rate, "rate", 0, "open-loop target events/s (0: closed-loop)")
	fs.IntVar(&l.conns, "connections", 32, "closed-loop connections / open-loop max in flight")
	fs.DurationVar(&l.duration, "duration", 10*time.Second, "run time (0: until -events)")
	fs.Int64Var(&l.events, "events", 0, "stop after this many events (0: duration only)")
}

func (l *loadFlags) templates(log io.Writer) (*payload.Templates, error) {
	start := time.Now()
	t, err := payload.NewTemplates(payload.Options{Seed: l.seed, Batches: l.batches, BatchSize: l.batchSize, Run: uint16(l.run)})
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(log, "templates: %d batches, %d events in %s\n", t.Len(), t.EventsPerPass(), time.Since(start).Round(time.Millisecond))
	return t, nil
}

func (l *loadFlags) config(rate float64) httpload.Config {
	keys, def := parseKeys(l.keys)
	return httpload.Config{URL: l.url, WriteKeys: keys, DefaultKey: def, Rate: rate, Connections: l.conns, Duration: l.duration, MaxEvents: l.events}
}

// saturation is the result of -saturate.
type saturation struct {
	Saturation *httpload.Result `json:"saturation"`
	Half       *httpload.Result `json:"half"`
	EPS        float64          `json:"eps"`
	P50Ms      float64          `json:"p50_ms"`
	P99Ms      float64          `json:"p99_ms"`
}

func runHTTP(ctx context.Context, args []string, out, log io.Writer) error {
	fs := flag.NewFlagSet("http", flag.ContinueOnError)
	var l loadFlags
	l.register(fs)
	saturate := fs.Bool("saturate", false, "closed-loop for -duration, then open-loop at half the measured rate for -duration")
	if err := fs.Parse(args); err != nil {
		return err
	}
	t, err := l.templates(log)
	if err != nil {
		return err
	}
	if !*saturate {
		res, err := httpload.Run(ctx, l.config(l.rate), t)
		if err != nil {
			return err
		}
		fmt.Fprintln(log, res)
		return printJSON(out, res)
	}
	sat, err := httpload.Run(ctx, l.config(0), t)
	if err != nil {
		return err
	}
	fmt.Fprintln(log, "saturation", sat)
	if sat.EPS <= 0 {
		return fmt.Errorf("no successful request at saturation: %v", sat.Status)
	}
	half, err := httpload.Run(ctx, l.config(sat.EPS/2), t)
	if err != nil {
		return err
	}
	fmt.Fprintln(log, "half", half)
	return printJSON(out, saturation{Saturation: sat, Half: half, EPS: sat.EPS, P50Ms: half.Latency.P50, P99Ms: half.Latency.P99})
}
