package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/cemhq/cem/pkg/chconn"
	"github.com/cemhq/cem/pkg/chmigrate"
)

// command is one subcommand.
type command struct {
	help string
	run  func(ctx context.Context, args []string, out, log io.Writer) error
}

var commands = map[string]command{
	"http":           {"post generated batches (open-loop -rate or closed-loop -connections; -saturate measures both)", runHTTP},
	"baseline-http":  {"serve a decode-only baseline of POST /v1/batch", runBaselineHTTP},
	"clickhouse":     {"write N events straight into ClickHouse (query benchmark dataset)", runClickHouse},
	"kafka":          {"preload N events into cem.events", runKafka},
	"baseline-drain": {"drain N events from cem.events into ClickHouse (processor baseline)", runDrain},
	"queries":        {"time timeline, funnel, retention and segment queries", runQueries},
	"freshness":      {"post probes under steady load and time 2xx -> visible in ClickHouse", runFreshness},
	"alertloop":      {"serve a webhook receiver, post detractor answers under load and time 2xx -> signed delivery", runAlertLoop},
	"e2e":            {"step the offered rate while watching the processor's consumer lag", runE2E},
	"watch":          {"time the processor draining a preloaded topic (metrics), with its RSS", runWatch},
	"rss":            {"print a process's current and peak RSS", runRSS},
	"firstflush":     {"wait for a processor's first written events row; seconds since -since", runFirstFlush},
	"state":          {"print a processor's session state gauges, heap and RSS", runState},
	"report":         {"combine a bench run's stage results into a table, one JSON line and an SVG chart", runReport},
}

// Main runs the subcommand in args[0] and returns the exit code.
func Main(ctx context.Context, args []string, out, log io.Writer) int {
	if len(args) == 0 || commands[args[0]].run == nil {
		names := make([]string, 0, len(commands))
		for n := range commands {
			names = append(names, n)
		}
		sort.Strings(names)
		fmt.Fprintln(log, "usage: loadgen <mode> [flags]; modes:")
		for _, n := range names {
			fmt.Fprintf(log, "  %-15s %s\n", n, commands[n].help)
		}
		return 2
	}
	if err := commands[args[0]].run(ctx, args[1:], out, log); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 2
		}
		msg := err.Error()
		if len(msg) > 600 {
			msg = msg[:600] + "..."
		}
		fmt.Fprintf(log, "loadgen %s: %s\n", args[0], msg)
		return 1
	}
	return 0
}

func printJSON(out io.Writer, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(out, string(b))
	return err
}

// chFlags are the ClickHouse flags shared by several modes.
type chFlags struct{ addr, db string }

func (c *chFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&c.addr, "clickhouse", "127.0.0.1:9000", "ClickHouse native address")
	fs.StringVar(&c.db, "db", "cem", "ClickHouse database")
}

// open connects (creating the database) and applies migrations when
// migrate is set.
func (c *chFlags) open(ctx context.Context, migrate bool) (driver.Conn, error) {
	conn, err := chconn.Open(ctx, chconn.Config{Addr: c.addr, Database: c.db, MaxOpenConns: 4})
	if err != nil {
		return nil, err
	}
	if migrate {
		if err := chmigrate.Apply(ctx, conn, chmigrate.Options{Database: c.db}); err != nil {
			_ = conn.Close()
			return nil, fmt.Errorf("migrate: %w", err)
		}
	}
	return conn, nil
}

// parseKeys parses "source:key,..." (a bare key is the default key).
func parseKeys(s string) (map[string]string, string) {
	m := map[string]string{}
	def := ""
	for p := range strings.SplitSeq(s, ",") {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		if src, key, ok := strings.Cut(p, ":"); ok {
			m[src] = key
			if def == "" {
				def = key
			}
		} else {
			def = p
		}
	}
	return m, def
}

func progress(log io.Writer, what string) func(n int) {
	start := time.Now()
	last := time.Now()
	return func(n int) {
		if time.Since(last) >= 5*time.Second {
			last = time.Now()
			fmt.Fprintf(log, "%s: %d (%.0f/s)\n", what, n, float64(n)/time.Since(start).Seconds())
		}
	}
}
