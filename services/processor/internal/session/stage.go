package session

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/hashicorp/golang-lru/v2/simplelru"

	"github.com/cemhq/cem/services/processor/internal/sink"
	"github.com/cemhq/cem/services/processor/internal/stage"
)

// Config configures the session stage.
type Config struct {
	Rules
	// MaxCustomers caps the customer keys held in memory after a flush.
	MaxCustomers int
	// IdleAfter evicts a key that saw no event for this long (wall clock).
	IdleAfter time.Duration
	// RestoreLimit caps the stored events read back per key on a miss.
	RestoreLimit int
}

// Querier reads from ClickHouse, retrying until ctx ends (sink.Writer).
type Querier interface {
	Query(ctx context.Context, scan func(driver.Rows) error, query string, args ...any) error
	DB() string
}

// Stage is the session stage. See the package doc.
type Stage struct {
	cfg     Config
	q       Querier
	m       *Metrics
	log     *slog.Logger
	now     func() time.Time
	lru     *simplelru.LRU[string, *Customer]
	dirty   []*Session
	touched map[string]*Customer // session id -> customer, since the last Drain
	custs   map[string]*Customer // customer keys processed since the last Written
	version uint64
}

var _ stage.Stage = (*Stage)(nil)

// NewStage returns a session stage reading state back through q.
func NewStage(cfg Config, q Querier, m *Metrics, log *slog.Logger) (*Stage, error) {
	lru, err := simplelru.NewLRU[string, *Customer](math.MaxInt, nil)
	if err != nil {
		return nil, fmt.Errorf("session lru: %w", err)
	}
	return &Stage{cfg: cfg, q: q, m: m, log: log, now: time.Now, lru: lru, touched: map[string]*Customer{}, custs: map[string]*Customer{}}, nil
}

// Name implements stage.Stage.
func (s *Stage) Name() string { return "session" }

// Load implements stage.Stage: it rebuilds the state of every key of the
// batch from the key's stored events when the key is not in memory or the
// batch has an event older than what the memory is complete for (after
// pruning, or a replay after a restart).
func (s *Stage) Load(ctx context.Context, batch []*stage.Event) error {
	minTs := map[string]int64{}
	for _, ev := range batch {
		if c, ok := s.lru.Peek(ev.Key); ok && ev.TsMs >= c.ValidFrom {
			continue
		}
		if t, ok := minTs[ev.Key]; !ok || ev.TsMs < t {
			minTs[ev.Key] = ev.TsMs
		}
	}
	if len(minTs) == 0 {
		return nil
	}
	keys := make([]string, 0, len(minTs))
	from := int64(math.MaxInt64)
	for k, t := range minTs {
		keys = append(keys, k)
		from = min(from, t)
	}
	// Sessions an event at t can join start no earlier than t - MaxLength and
	// end no earlier than t - Gap - Lateness.
	from -= (s.cfg.MaxLength + s.cfg.Gap + s.cfg.Lateness).Milliseconds()
	stored := map[string][]Stored{}
	for chunk := range chunks(keys, 5000) {
		if err := s.restore(ctx, chunk, from, stored); err != nil {
			return err
		}
	}
	for _, k := range keys {
		s.lru.Add(k, s.cfg.Rebuild(k, stored[k], minTs[k]))
	}
	return nil
}

func (s *Stage) restore(ctx context.Context, keys []string, fromMs int64, into map[string][]Stored) error {
	q := fmt.Sprintf(`SELECT customer_key, event_id, session_id, ts_ms, touchpoint, channel, campaign_name, event, customer_id
FROM %s.events FINAL
WHERE customer_key IN ? AND ts_ms >= ?
ORDER BY customer_key, ts_ms DESC
LIMIT %d BY customer_key`, s.q.DB(), s.cfg.RestoreLimit)
	var got map[string][]Stored
	err := s.q.Query(ctx, func(rows driver.Rows) error {
		got = map[string][]Stored{}
		for rows.Next() {
			var key, event string
			var e Stored
			if err := rows.Scan(&key, &e.EventID, &e.SessionID, &e.TsMs, &e.Touchpoint, &e.Channel, &e.Campaign, &event, &e.CustomerID); err != nil {
				return fmt.Errorf("scan stored event: %w", err)
			}
			e.Converted = event == OrderCompleted
			got[key] = append(got[key], e)
		}
		return nil
	}, q, sink.Set(keys), fromMs)
	if err != nil {
		return fmt.Errorf("restore sessions: %w", err)
	}
	for k, v := range got {
		into[k] = v
	}
	return nil
}

// OrderCompleted is the event name that marks a session as converted.
const OrderCompleted = "Order Completed"

// Process implements stage.Stage: it assigns ev.SessionID.
func (s *Stage) Process(ev *stage.Event) error {
	c, ok := s.lru.Get(ev.Key)
	if !ok { // Load always runs first; a key without events is fresh
		c = &Customer{Key: ev.Key, ValidFrom: ev.TsMs}
		s.lru.Add(ev.Key, c)
	}
	c.seen = s.now()
	s.custs[ev.Key] = c
	sess, opened := s.cfg.Assign(c, Input{
		EventID: ev.ID, TsMs: ev.TsMs, Touchpoint: ev.Touchpoint, Channel: ev.Channel,
		Campaign: ev.Campaign, Converted: ev.Event.Event == OrderCompleted, CustomerID: ev.CustomerID,
	})
	if opened {
		s.m.Opened.Inc()
	}
	if _, listed := s.touched[sess.ID]; !listed {
		s.touched[sess.ID] = c
		s.dirty = append(s.dirty, sess)
	}
	ev.SessionID = sess.ID
	return nil
}

// Drain implements stage.Stage: one row per session touched since the last
// Drain, with its latest state.
func (s *Stage) Drain() []sink.Block {
	n := len(s.dirty)
	s.version = max(s.version+1, uint64(s.now().UnixNano()))
	var (
		id, key, cust, entry, exit, channel, campaign = make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		start                                         = make([]time.Time, n)
		startMs, endMs, duration                      = make([]int64, n), make([]int64, n), make([]int64, n)
		count, version                                = make([]uint64, n), make([]uint64, n)
		converted                                     = make([]uint8, n)
	)
	for i, x := range s.dirty {
		id[i], key[i], cust[i] = x.ID, x.Key, x.CustomerID
		start[i] = time.UnixMilli(x.StartMs).UTC()
		startMs[i], endMs[i], duration[i] = x.StartMs, x.EndMs, x.EndMs-x.StartMs
		count[i], version[i] = x.Count, s.version
		entry[i], exit[i], channel[i], campaign[i] = x.Entry, x.Exit, x.Channel, x.Campaign
		if x.Converted {
			converted[i] = 1
		}
		x.dirty = false
	}
	s.dirty = s.dirty[:0]
	clear(s.touched)
	return []sink.Block{{
		Table: "sessions",
		Columns: []string{"session_id", "customer_key", "customer_id", "start", "start_ms", "end_ms", "duration_ms",
			"event_count", "entry_touchpoint", "exit_touchpoint", "channel", "campaign", "converted", "version"},
		Data: []any{id, key, cust, start, startMs, endMs, duration, count, entry, exit, channel, campaign, converted, version},
		Rows: n,
	}}
}

// Written implements stage.Stage: it drops sessions no event can join any
// more and evicts idle and surplus keys.
func (s *Stage) Written() {
	for _, c := range s.custs {
		s.m.Closed.Add(float64(s.cfg.Prune(c)))
	}
	clear(s.custs)
	idle := s.now().Add(-s.cfg.IdleAfter)
	for s.lru.Len() > 0 {
		_, c, _ := s.lru.GetOldest()
		if s.lru.Len() <= s.cfg.MaxCustomers && !c.seen.Before(idle) {
			break
		}
		s.lru.RemoveOldest()
		s.m.Closed.Add(float64(len(c.Sessions)))
	}
	s.m.Customers.Set(float64(s.lru.Len()))
}

// Reset implements stage.Stage.
func (s *Stage) Reset() {
	s.lru.Purge()
	s.dirty = s.dirty[:0]
	clear(s.touched)
	clear(s.custs)
	s.m.Customers.Set(0)
}

// chunks yields keys in slices of at most n.
func chunks(keys []string, n int) func(func([]string) bool) {
	return func(yield func([]string) bool) {
		for len(keys) > 0 {
			k := keys[:min(n, len(keys))]
			keys = keys[len(k):]
			if !yield(k) {
				return
			}
		}
	}
}
