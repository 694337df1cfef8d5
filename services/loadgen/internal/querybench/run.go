package querybench

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/cemhq/cem/pkg/events"
	"github.com/cemhq/cem/services/loadgen/internal/httpload"
)

// Options configure Run.
type Options struct {
	Database string
	// Timelines is the number of timeline lookups (random customers);
	// Repeat the runs of each analytic query. Defaults 200 and 5.
	Timelines, Repeat int
	// Seed picks the customers. Default 0.
	Seed uint64
	// NowMs is "now" for the segment. Default: the newest event.
	NowMs int64
}

// Result holds the latency of each query kind.
type Result struct {
	Rows      uint64           `json:"rows"`
	Timeline  httpload.Latency `json:"timeline"`
	Funnel    httpload.Latency `json:"funnel"`
	Retention httpload.Latency `json:"retention"`
	Segment   httpload.Latency `json:"segment"`
	// FunnelSteps is the funnel's customer counts (a sanity check).
	FunnelSteps []uint64 `json:"funnel_steps"`
	Sleepers    int      `json:"sleepers"`
}

// FunnelSteps is the benchmark funnel.
var FunnelSteps = []string{events.ProductViewed, events.CartViewed, events.CheckoutStarted, events.OrderCompleted}

// Run times the queries on database o.Database.
func Run(ctx context.Context, conn driver.Conn, o Options) (*Result, error) {
	if o.Timelines <= 0 {
		o.Timelines = 200
	}
	if o.Repeat <= 0 {
		o.Repeat = 5
	}
	db := o.Database
	res := &Result{}
	var maxMs int64
	if err := conn.QueryRow(ctx, fmt.Sprintf("SELECT count(), max(ts_ms) FROM %s.events", db)).Scan(&res.Rows, &maxMs); err != nil {
		return nil, fmt.Errorf("count: %w", err)
	}
	if o.NowMs == 0 {
		o.NowMs = maxMs
	}
	// Ids to look up: a random sample of keys (anonymous and user ids).
	var keys []string
	rows, err := conn.Query(ctx, fmt.Sprintf("SELECT DISTINCT customer_key FROM %s.events WHERE cityHash64(customer_key) %% 50 = 0 LIMIT 20000", db))
	if err != nil {
		return nil, fmt.Errorf("sample keys: %w", err)
	}
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			return nil, err
		}
		keys = append(keys, k)
	}
	rows.Close()
	if len(keys) == 0 {
		return nil, fmt.Errorf("no events in %s.events", db)
	}
	r := rand.New(rand.NewPCG(o.Seed, 7))
	var tl []time.Duration
	for range o.Timelines {
		start := time.Now()
		if err := timeline(ctx, conn, db, keys[r.IntN(len(keys))]); err != nil {
			return nil, err
		}
		tl = append(tl, time.Since(start))
	}
	res.Timeline = httpload.Summarize(tl)
	timeIt := func(sql string, scan func(driver.Rows) error) (httpload.Latency, error) {
		var ds []time.Duration
		for range o.Repeat {
			start := time.Now()
			rows, err := conn.Query(ctx, sql)
			if err != nil {
				return httpload.Latency{}, err
			}
			for rows.Next() {
				if scan != nil {
					if err := scan(rows); err != nil {
						rows.Close()
						return httpload.Latency{}, err
					}
				}
			}
			err = rows.Err()
			rows.Close()
			if err != nil {
				return httpload.Latency{}, err
			}
			ds = append(ds, time.Since(start))
		}
		return httpload.Summarize(ds), nil
	}
	if res.Funnel, err = timeIt(FunnelSQL(db, FunnelSteps, 7*86400), func(rows driver.Rows) error {
		var bd string
		c := make([]uint64, 4)
		m := make([]float64, 3)
		if err := rows.Scan(&bd, &c[0], &c[1], &c[2], &c[3], &m[0], &m[1], &m[2]); err != nil {
			return err
		}
		res.FunnelSteps = c
		return nil
	}); err != nil {
		return nil, fmt.Errorf("funnel: %w", err)
	}
	if res.Retention, err = timeIt(RetentionSQL(db, events.OrderCompleted, 8), nil); err != nil {
		return nil, fmt.Errorf("retention: %w", err)
	}
	if res.Segment, err = timeIt(SegmentSQL(db, o.NowMs), func(driver.Rows) error { res.Sleepers++; return nil }); err != nil {
		return nil, fmt.Errorf("segment: %w", err)
	}
	res.Sleepers /= o.Repeat
	return res, nil
}

// timeline runs what the query service does for GET /customers/{id}/timeline:
// resolve the canonical customer, list its ids, read the first page.
func timeline(ctx context.Context, conn driver.Conn, db, id string) error {
	var owner string
	var n uint64
	if err := conn.QueryRow(ctx, CanonicalSQL(db, id)).Scan(&owner, &n); err != nil {
		return fmt.Errorf("canonical: %w", err)
	}
	customer := id
	if n > 0 && owner != "" {
		customer = owner
	}
	ids := map[string]bool{customer: true}
	rows, err := conn.Query(ctx, IDsSQL(db, customer))
	if err != nil {
		return fmt.Errorf("ids: %w", err)
	}
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			rows.Close()
			return err
		}
		ids[s] = true
	}
	rows.Close()
	list := make([]string, 0, len(ids))
	for s := range ids {
		list = append(list, s)
	}
	rows, err = conn.Query(ctx, TimelineSQL(db, list))
	if err != nil {
		return fmt.Errorf("timeline: %w", err)
	}
	cnt := 0
	for rows.Next() {
		cnt++
	}
	rows.Close()
	if cnt == 0 {
		return fmt.Errorf("timeline of %s is empty", id)
	}
	return rows.Err()
}
