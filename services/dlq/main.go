// Command dlq inspects and replays cem's dead-letter topic
// (cem.events.dlq) against any Kafka, the dev broker included:
//
//	dlq inspect [-stage s] [-reason r] [-source s] [-records]   what is in the DLQ, by stage, reason and source
//	dlq export  -stage collector -source web > web.ndjson       the raw events, one per line, to fix
//	dlq replay  [filters] [-offsets f]                          replay records whose cause was fixed
//	dlq replay  -file web.ndjson -source web                    replay fixed events
//
// Replays send collector-stage records through the collector's /v1/import
// with the source's write key (validated and enriched again) and write
// processor-stage records back to cem.events keyed by their customer key.
// Suppressed (GDPR) and truncated records are never replayed. -offsets
// keeps the progress per partition: a second run starts after the first.
// See docs/operations.md, "Replaying the DLQ".
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/cemhq/cem/services/dlq/internal/dlq"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

const usage = `usage: dlq inspect|export|replay [flags]; dlq <command> -h for the flags`

// errUsage marks errors in the command line (exit status 2).
var errUsage = errors.New("usage")

// run executes one command; it returns the exit status.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprintln(stderr, usage)
		return 2
	}
	var err error
	switch args[0] {
	case "inspect":
		err = inspect(ctx, args[1:], stdout, stderr)
	case "export":
		err = export(ctx, args[1:], stdout, stderr)
	case "replay":
		err = replay(ctx, args[1:], stdin, stdout, stderr)
	default:
		err = fmt.Errorf("%w: unknown command %q", errUsage, args[0])
	}
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, errUsage):
		fmt.Fprintln(stderr, "dlq:", err)
		fmt.Fprintln(stderr, usage)
		return 2
	default:
		fmt.Fprintln(stderr, "dlq:", err)
		return 1
	}
}

// common are the flags of every command.
type common struct {
	brokers, topic, offsets  string
	stages, reasons, sources string
}

func (c *common) register(fs *flag.FlagSet) {
	fs.StringVar(&c.brokers, "brokers", envOr("CEM_KAFKA_BROKERS", "127.0.0.1:9092"), "Kafka bootstrap brokers, comma-separated (default $CEM_KAFKA_BROKERS)")
	fs.StringVar(&c.topic, "topic", "cem.events.dlq", "the DLQ topic")
	fs.StringVar(&c.offsets, "offsets", "", "offsets file: start from it (replay also saves its progress there)")
	fs.StringVar(&c.stages, "stage", "", "only these stages (collector, processor), comma-separated")
	fs.StringVar(&c.reasons, "reason", "", "only these reasons (size, format, schema, time, decode, processing, ...), comma-separated")
	fs.StringVar(&c.sources, "source", "", "only these sources, comma-separated")
}

func (c *common) topicAndFilter() (dlq.Topic, dlq.Filter) {
	return dlq.Topic{Brokers: list(c.brokers), Name: c.topic},
		dlq.Filter{Stages: list(c.stages), Reasons: list(c.reasons), Sources: list(c.sources)}
}

// parseRead parses the flags of a command that only reads and returns the
// topic, the filter and the offsets to start from.
func (c *common) parseRead(fs *flag.FlagSet, args []string) (dlq.Topic, dlq.Filter, dlq.Offsets, error) {
	if err := parse(fs, args); err != nil {
		return dlq.Topic{}, dlq.Filter{}, nil, err
	}
	t, fl := c.topicAndFilter()
	if c.offsets == "" {
		return t, fl, dlq.Offsets{}, nil
	}
	from, err := dlq.LoadOffsets(c.offsets, c.topic)
	return t, fl, from, err
}

// newFlags returns the flag set of command with the common flags.
func newFlags(command string, stderr io.Writer) (*flag.FlagSet, *common) {
	fs := flag.NewFlagSet("dlq "+command, flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c common
	c.register(fs)
	return fs, &c
}

func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: unexpected arguments %v", errUsage, fs.Args())
	}
	return nil
}

func inspect(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, c := newFlags("inspect", stderr)
	records := fs.Bool("records", false, "print the selected records as JSON lines (partition, offset, record) instead of the summary")
	t, fl, from, err := c.parseRead(fs, args)
	if err != nil {
		return err
	}
	if *records {
		enc := json.NewEncoder(stdout)
		return t.Scan(ctx, from, func(r dlq.Record) error {
			if r.Err != nil || !fl.Match(r.Failure) {
				return nil
			}
			return enc.Encode(struct {
				Partition int   `json:"partition"`
				Offset    int64 `json:"offset"`
				Record    any   `json:"record"`
			}{r.Partition, r.Offset, r.Failure})
		}, func(int, int64) error { return nil })
	}
	groups, invalid, err := dlq.Summarize(ctx, t, fl, from)
	if err != nil {
		return err
	}
	if invalid > 0 {
		fmt.Fprintf(stderr, "dlq: %d records are not DLQ records and were left out\n", invalid)
	}
	return dlq.WriteSummary(stdout, groups)
}

func export(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, c := newFlags("export", stderr)
	t, fl, from, err := c.parseRead(fs, args)
	if err != nil {
		return err
	}
	left := map[string]int{}
	err = t.Scan(ctx, from, func(r dlq.Record) error {
		if r.Err != nil || !fl.Match(r.Failure) {
			return nil
		}
		if why := dlq.Unreplayable(r.Failure); why != "" {
			left[why]++
			return nil
		}
		line, err := dlq.ReplayEvent([]byte(r.Failure.Raw), r.Failure.At)
		if err != nil {
			left["not JSON"]++
			return nil
		}
		_, err = fmt.Fprintf(stdout, "%s\n", line)
		return err
	}, func(int, int64) error { return nil })
	for why, n := range left {
		fmt.Fprintf(stderr, "dlq: %d records left out (%s)\n", n, why)
	}
	return err
}

func replay(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs, c := newFlags("replay", stderr)
	collector := fs.String("collector", "http://127.0.0.1:8080", "the collector's base URL")
	keys := fs.String("write-keys", os.Getenv("CEM_WRITE_KEYS"), "source:key,... write keys of the sources to replay (default $CEM_WRITE_KEYS)")
	eventsTopic := fs.String("events-topic", "cem.events", "where processor-stage records go")
	batch := fs.Int("batch", 500, "events per /v1/import request or produce call")
	file := fs.String("file", "", "replay the events of this NDJSON file (- for stdin) through the collector as -source, instead of the DLQ")
	dry := fs.Bool("dry-run", false, "count what would be replayed; send nothing, save no offsets")
	if err := parse(fs, args); err != nil {
		return err
	}
	wk, err := writeKeys(*keys)
	if err != nil {
		return fmt.Errorf("%w: -write-keys: %v", errUsage, err)
	}
	if *batch < 1 {
		return fmt.Errorf("%w: -batch must be positive", errUsage)
	}
	t, fl := c.topicAndFilter()
	r := &dlq.Replayer{Topic: t, Filter: fl, Collector: *collector, WriteKeys: wk, EventsTopic: *eventsTopic, Batch: *batch,
		OffsetsPath: c.offsets, DryRun: *dry, HTTP: &http.Client{Timeout: time.Minute}}
	var rep dlq.Report
	if *file != "" {
		if len(fl.Sources) != 1 {
			return fmt.Errorf("%w: -file needs exactly one -source", errUsage)
		}
		in := stdin
		if *file != "-" {
			f, err := os.Open(*file)
			if err != nil {
				return err
			}
			defer func() { _ = f.Close() }()
			in = f
		}
		rep, err = r.ReplayFile(ctx, fl.Sources[0], in)
	} else {
		rep, err = r.Run(ctx)
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	if encErr := enc.Encode(rep); encErr != nil && err == nil {
		err = encErr
	}
	return err
}

// writeKeys parses source:key,... into source -> key.
func writeKeys(s string) (map[string]string, error) {
	m := map[string]string{}
	for _, kv := range list(s) {
		src, key, ok := strings.Cut(kv, ":")
		if !ok || src == "" || key == "" {
			return nil, fmt.Errorf("%q is not source:key", kv)
		}
		m[src] = key
	}
	return m, nil
}

func list(s string) []string {
	var out []string
	for v := range strings.SplitSeq(s, ",") {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}
