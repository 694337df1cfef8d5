package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/cemhq/cem/services/loadgen/internal/baseline"
	"github.com/cemhq/cem/services/loadgen/internal/chwrite"
	"github.com/cemhq/cem/services/loadgen/internal/kafkaload"
	"github.com/cemhq/cem/services/loadgen/internal/population"
	"github.com/cemhq/cem/services/loadgen/internal/querybench"
)

func runBaselineHTTP(ctx context.Context, args []string, out, log io.Writer) error {
	fs := flag.NewFlagSet("baseline-http", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:8079", "listen address")
	if err := fs.Parse(args); err != nil {
		return err
	}
	h := &baseline.Handler{}
	mux := http.NewServeMux()
	mux.Handle("POST /v1/batch", h)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok")) })
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	fmt.Fprintf(log, "baseline-http listening on %s\n", ln.Addr())
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return printJSON(out, map[string]int64{"events": h.Events()})
}

func runClickHouse(ctx context.Context, args []string, out, log io.Writer) error {
	fs := flag.NewFlagSet("clickhouse", flag.ContinueOnError)
	var ch chFlags
	ch.register(fs)
	n := fs.Int("events", 1000000, "events to write")
	seed := fs.Uint64("seed", 1, "population seed")
	batch := fs.Int("batch-rows", 100000, "rows per insert")
	if err := fs.Parse(args); err != nil {
		return err
	}
	conn, err := ch.open(ctx, true)
	if err != nil {
		return err
	}
	defer conn.Close()
	pop := population.New(population.Config{Seed: *seed, Customers: 1 << 30})
	start := time.Now()
	customers, err := chwrite.Load(ctx, conn, ch.db, pop, chwrite.LoadOptions{Events: *n, BatchRows: *batch, Progress: progress(log, "rows")})
	if err != nil {
		return err
	}
	el := time.Since(start)
	return printJSON(out, map[string]any{"events": *n, "customers": customers, "seconds": el.Seconds(), "eps": float64(*n) / el.Seconds()})
}

func runKafka(ctx context.Context, args []string, out, log io.Writer) error {
	fs := flag.NewFlagSet("kafka", flag.ContinueOnError)
	brokers := fs.String("brokers", "127.0.0.1:9092", "bootstrap brokers, comma list")
	topic := fs.String("topic", "cem.events", "topic")
	n := fs.Int("events", 100000, "events to produce")
	seed := fs.Uint64("seed", 1, "population seed")
	prefix := fs.String("id-prefix", "", "prefix of every id")
	per := fs.Int("per-customer", 0, "keep only the first N events of each customer's journey (0: all)")
	codec := fs.String("compression", "none", "compression of the produced batches: none, gzip, snappy, lz4 or zstd")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var compression kafka.Compression
	if err := compression.UnmarshalText([]byte(*codec)); err != nil {
		return fmt.Errorf("-compression: %w", err)
	}
	pop := population.New(population.Config{Seed: *seed, Customers: 1 << 30, IDPrefix: *prefix})
	start := time.Now()
	customers, keys, err := kafkaload.Preload(ctx, pop, kafkaload.Options{Brokers: strings.Split(*brokers, ","), Topic: *topic, Events: *n, PerCustomer: *per, Compression: compression})
	if err != nil {
		return err
	}
	el := time.Since(start)
	fmt.Fprintf(log, "produced %d events of %d customers (%d keys) in %s\n", *n, customers, keys, el.Round(time.Millisecond))
	return printJSON(out, map[string]any{"events": *n, "customers": customers, "keys": keys, "seconds": el.Seconds(), "eps": float64(*n) / el.Seconds()})
}

func runDrain(ctx context.Context, args []string, out, log io.Writer) error {
	fs := flag.NewFlagSet("baseline-drain", flag.ContinueOnError)
	var ch chFlags
	ch.register(fs)
	brokers := fs.String("brokers", "127.0.0.1:9092", "bootstrap brokers, comma list")
	topic := fs.String("topic", "cem.events", "topic")
	n := fs.Int("events", 100000, "records to drain")
	batch := fs.Int("batch-rows", 50000, "rows per insert")
	chPid := fs.Int("clickhouse-pid", 0, "ClickHouse server pid: its CPU seconds over the drain (0: not measured)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	conn, err := ch.open(ctx, true)
	if err != nil {
		return err
	}
	defer conn.Close()
	cpu := startCPU(os.Getpid(), *chPid)
	res, err := baseline.Drain(ctx, conn, baseline.DrainOptions{Brokers: strings.Split(*brokers, ","), Topic: *topic, Events: *n, BatchRows: *batch, Database: ch.db})
	if err != nil {
		return err
	}
	used := cpu.stop()
	fmt.Fprintf(log, "drained %d events in %.2fs: %.0f events/s\n", res.Events, res.Seconds, res.EPS)
	return printJSON(out, struct {
		*baseline.DrainResult
		CPUFigures
	}{res, used})
}

func runQueries(ctx context.Context, args []string, out, log io.Writer) error {
	fs := flag.NewFlagSet("queries", flag.ContinueOnError)
	var ch chFlags
	ch.register(fs)
	tl := fs.Int("timelines", 200, "timeline lookups")
	rep := fs.Int("repeat", 5, "runs of each analytic query")
	qurl := fs.String("query-url", "http://127.0.0.1:8090", "query service serving the database")
	token := fs.String("token", "", "bearer token of the query service")
	if err := fs.Parse(args); err != nil {
		return err
	}
	conn, err := ch.open(ctx, false)
	if err != nil {
		return err
	}
	defer conn.Close()
	res, err := querybench.Run(ctx, conn, querybench.Options{Database: ch.db, URL: *qurl, Token: *token, Timelines: *tl, Repeat: *rep})
	if err != nil {
		return err
	}
	fmt.Fprintf(log, "queries on %d rows: timeline p99 %.1f ms, funnel p99 %.0f ms, retention p99 %.0f ms, segment p99 %.0f ms\n",
		res.Rows, res.Timeline.P99, res.Funnel.P99, res.Retention.P99, res.Segment.P99)
	return printJSON(out, res)
}
