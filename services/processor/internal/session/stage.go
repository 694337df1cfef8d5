package session

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"slices"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/cemhq/cem/pkg/eventsql"
	"github.com/cemhq/cem/services/processor/internal/sink"
	"github.com/cemhq/cem/services/processor/internal/stage"
)

// Config configures the session stage.
type Config struct {
	Rules
	// MaxCustomers caps the customer keys held in memory after a flush.
	MaxCustomers int
	// MaxBytes caps the estimated bytes of the held state after a flush
	// (see Customer.Size); the least recently used keys go first.
	MaxBytes int64
	// IdleAfter evicts a key that saw no event for this long (wall clock).
	IdleAfter time.Duration
	// Directory tells keys never stored, restored without a read.
	Directory DirectoryConfig
}

// Querier reads from ClickHouse, retrying until ctx ends (sink.Writer).
type Querier interface {
	Query(ctx context.Context, scan func(driver.Rows) error, query string, args ...any) error
	DB() string
}

// dirtySession is a session to write with its key.
type dirtySession struct {
	c *Customer
	s *Session
}

// Stage is the session stage. See the package doc.
type Stage struct {
	cfg   Config
	q     Querier
	m     *Metrics
	log   *slog.Logger
	now   func() time.Time
	lru   *lru
	dir   *directory
	bytes int64 // Size of every held Customer, as of their last flush
	dirty []dirtySession
	// custs are the keys processed since the last Written (each once:
	// Customer.listed); a session is in dirty once (Session.listed).
	custs []*Customer
	// nowUnix is the wall clock of the flush being processed (Load), Unix
	// seconds.
	nowUnix int64
	// stored maps the events of the batch that are already in ClickHouse
	// (replays) to their stored session id; inBatch the ids processed in
	// this flush to the session they were given.
	stored  map[string]string
	inBatch map[string]string
	// inFlight are the ids and sessions of the flush whose rows are being
	// written while this one loads and processes (the pipeline overlaps
	// them): reads of events do not see them yet.
	inFlight map[string]string
	version  uint64
}

var _ stage.Stage = (*Stage)(nil)

// NewStage returns a session stage reading state back through q.
func NewStage(cfg Config, q Querier, m *Metrics, log *slog.Logger) (*Stage, error) {
	// The directory's scan reaches at least a day further back than a
	// restore of an event of now.
	cfg.Directory.Horizon = max(cfg.Directory.Horizon, cfg.reach()+eventsql.RangeMargin*time.Millisecond+24*time.Hour)
	s := &Stage{
		cfg: cfg, q: q, m: m, log: log, now: time.Now,
		stored: map[string]string{}, inBatch: map[string]string{},
		inFlight: map[string]string{},
	}
	s.dir = newDirectory(cfg.Directory, q, m, log, func() time.Time { return s.now() })
	s.lru = newLRU(func(c *Customer) {
		s.bytes -= c.size
		s.m.Closed.Add(float64(len(c.Sessions)))
	})
	return s, nil
}

// Name implements stage.Stage.
func (s *Stage) Name() string { return "session" }

// Load implements stage.Stage. It rebuilds, in one query per 5,000 keys,
// the sessions of every key of the batch that is not in memory or has an
// event older than what the memory is complete for (after pruning, or a
// replay after a restart), and looks up which of the batch's events that may
// be re-deliveries are already stored (see the package doc).
//
// Reads of events do not wait for the previous flush's rows in flight
// (sink.Await): its ids are in inFlight, and its keys are held (Written
// does not evict them). Only reloading a held key waits.
func (s *Stage) Load(ctx context.Context, batch []*stage.Event) error {
	awaitCtx, ctx := ctx, sink.WithoutAwait(ctx)
	s.nowUnix = s.now().Unix()
	clear(s.stored)
	if err := s.dir.begin(func() error { return sink.Await(awaitCtx) }); err != nil {
		return err
	}
	// While the directory is being built, every key of the flush goes into
	// it: the scan may not see this flush's rows. Otherwise only the keys
	// not held do (a held key was added when it was loaded).
	scanning := s.dir.scanning()
	minTs := map[string]int64{}
	var check []*stage.Event
	for _, ev := range batch {
		if c, ok := s.lru.Peek(ev.Key); ok && ev.TsMs >= c.ValidFrom {
			if c.hasEvents && (ev.TsMs <= c.Watermark || c.recentlySeen(ev.ID)) {
				check = append(check, ev)
			}
			if scanning {
				s.dir.add(ev.Key)
			}
			continue
		}
		if t, ok := minTs[ev.Key]; !ok || ev.TsMs < t {
			minTs[ev.Key] = ev.TsMs
		}
	}
	if len(minTs) > 0 {
		for k := range minTs {
			if c, ok := s.lru.Peek(k); ok && s.lru.order.Pending(c) {
				// A late event of a key with rows in flight.
				if err := sink.Await(awaitCtx); err != nil {
					return err
				}
				break
			}
		}
		restored, err := s.restore(ctx, minTs)
		if err != nil {
			return err
		}
		// Only a key with stored sessions in the window can see a replay.
		for _, ev := range batch {
			if restored[ev.Key] {
				check = append(check, ev)
			}
		}
	}
	return s.lookup(ctx, check)
}

// reach is how far before an event a restore reads: sessions an event at t
// can join start no earlier than t - MaxLength and end no earlier than
// t - Gap - Lateness.
func (r Rules) reach() time.Duration { return r.MaxLength + r.Gap + r.Lateness }

// restore rebuilds the keys of minTs from the stored events and reports the
// keys that had stored sessions. Keys the directory knows to have no stored
// rows in reach are rebuilt empty without a read.
func (s *Stage) restore(ctx context.Context, minTs map[string]int64) (map[string]bool, error) {
	keys := make([]string, 0, len(minTs))
	from := int64(math.MaxInt64)
	reach := s.cfg.reach().Milliseconds()
	var unread int
	for k, t := range minTs {
		// The read's earliest row: RangeArgs widens the range by RangeMargin
		// before the copies collapse.
		if s.dir.add(k) || !s.dir.covers(t-reach-eventsql.RangeMargin) {
			keys = append(keys, k)
			from = min(from, t)
		} else {
			unread++
		}
	}
	from -= reach
	stored := map[string][]Stored{}
	for chunk := range slices.Chunk(keys, 5000) {
		if err := s.restoreChunk(ctx, chunk, from, stored); err != nil {
			return nil, err
		}
	}
	s.m.Restores.WithLabelValues("read").Add(float64(len(keys)))
	s.m.Restores.WithLabelValues("new").Add(float64(unread))
	found := make(map[string]bool, len(stored))
	for k, t := range minTs {
		c := s.cfg.Rebuild(k, stored[k], t)
		c.size = c.Size()
		s.bytes += c.size
		s.lru.Add(c) // over a pruned or stale state of k, if held
		found[k] = len(c.Sessions) > 0
	}
	return found, nil
}

// restoreQuery aggregates each stored session of the keys from the events
// (eventsql.Source: one row per event id, the winning copy, however many
// copies are stored): one row per session, without a cap on its length.
func restoreQuery(db string) string {
	src := eventsql.Source(db, eventsql.Query{
		Cols:  []string{"customer_key", "session_id", "ts_ms", "event_id", "touchpoint", "channel", "campaign_name", "event", "customer_id"},
		Keys:  true,
		Range: true,
		Where: "session_id != ''",
	})
	// Ties on ts_ms are broken by event_id, so that a restore answers the
	// same whatever order the engine reads the rows in (ClickHouse 18.16 and
	// 26 picked different touchpoints of two events in one millisecond).
	return `SELECT customer_key, session_id, min(ts_ms), max(ts_ms), count(),
  argMin(touchpoint, (ts_ms, event_id)), argMax(touchpoint, (ts_ms, event_id)), argMin(channel, (ts_ms, event_id)),
  argMinIf(campaign_name, (ts_ms, event_id), campaign_name != ''), max(event = 'Order Completed'),
  argMaxIf(customer_id, (ts_ms, event_id), customer_id != '')
FROM ` + src + `
GROUP BY customer_key, session_id`
}

func (s *Stage) restoreChunk(ctx context.Context, keys []string, fromMs int64, into map[string][]Stored) error {
	var got map[string][]Stored
	err := s.q.Query(ctx, func(rows driver.Rows) error {
		got = map[string][]Stored{}
		for rows.Next() {
			var key string
			var conv uint8
			var e Stored
			if err := rows.Scan(&key, &e.SessionID, &e.StartMs, &e.EndMs, &e.Count, &e.Entry, &e.Exit, &e.Channel, &e.Campaign, &conv, &e.CustomerID); err != nil {
				return fmt.Errorf("scan stored session: %w", err)
			}
			e.Converted = conv == 1
			got[key] = append(got[key], e)
		}
		return nil
	}, restoreQuery(s.q.DB()), append([]any{sink.Set(keys)}, eventsql.RangeArgs(fromMs, 0)...)...)
	if err != nil {
		return fmt.Errorf("restore sessions: %w", err)
	}
	for k, v := range got {
		into[k] = v
	}
	return nil
}

// lookup fills s.stored with the events of check that ClickHouse already
// holds, with the session id they were stored with: one query per 5,000 keys
// (with those keys' event ids), since ClickHouse parses each IN list as a
// literal.
func (s *Stage) lookup(ctx context.Context, check []*stage.Event) error {
	if len(check) == 0 {
		return nil
	}
	byKey := map[string][]string{}
	for _, ev := range check {
		byKey[ev.Key] = append(byKey[ev.Key], ev.ID)
	}
	// The winning copy's session id; (customer_key, event_id) is the events
	// table's sorting key, so these are point reads.
	q := "SELECT event_id, session_id FROM " + eventsql.Source(s.q.DB(), eventsql.Query{
		Cols: []string{"event_id", "session_id"}, Keys: true, Match: "event_id IN ?",
	})
	keys := make([]string, 0, len(byKey))
	for k := range byKey {
		keys = append(keys, k)
	}
	for chunk := range slices.Chunk(keys, 5000) {
		var ids []string
		for _, k := range chunk {
			ids = append(ids, byKey[k]...)
		}
		var got map[string]string
		err := s.q.Query(ctx, func(rows driver.Rows) error {
			got = map[string]string{}
			for rows.Next() {
				var id, sid string
				if err := rows.Scan(&id, &sid); err != nil {
					return fmt.Errorf("scan stored event: %w", err)
				}
				got[id] = sid
			}
			return nil
		}, q, sink.Set(chunk), sink.Set(ids))
		if err != nil {
			return fmt.Errorf("look up replayed events: %w", err)
		}
		for id, sid := range got {
			if sid != "" {
				s.stored[id] = sid
			}
		}
	}
	return nil
}

// OrderCompleted is the event name that marks a session as converted.
const OrderCompleted = "Order Completed"

// Process implements stage.Stage: it assigns ev.SessionID. A re-delivered
// event (already stored, or earlier in this flush) keeps the session it was
// first given and is not counted again.
func (s *Stage) Process(ev *stage.Event) error {
	c, ok := s.lru.Get(ev.Key)
	if !ok { // Load always runs first; a key without events is fresh
		c = NewCustomer(ev.Key, ev.TsMs)
		s.lru.Add(c)
	}
	c.seen = s.nowUnix
	if !c.listed {
		c.listed = true
		s.custs = append(s.custs, c)
	}
	sid, replay := s.stored[ev.ID]
	if !replay {
		sid, replay = s.inBatch[ev.ID]
	}
	if !replay {
		sid, replay = s.inFlight[ev.ID]
	}
	if replay {
		s.m.Replays.Inc()
		ev.SessionID = sid
		if sess := c.Find(sid); sess != nil {
			c.Replayed(sess, ev.CustomerID)
			s.markDirty(c, sess)
		}
		return nil
	}
	sess, opened := s.cfg.Assign(c, Input{
		EventID: ev.ID, TsMs: ev.TsMs, Touchpoint: ev.Touchpoint, Channel: ev.Channel,
		Campaign: ev.Campaign, Converted: ev.Event.Event == OrderCompleted, CustomerID: ev.CustomerID,
	})
	if opened {
		s.m.Opened.Inc()
	}
	s.markDirty(c, sess)
	ev.SessionID = sess.ID()
	s.inBatch[ev.ID] = ev.SessionID
	return nil
}

func (s *Stage) markDirty(c *Customer, sess *Session) {
	if !sess.dirty || sess.listed {
		return
	}
	sess.listed = true
	s.dirty = append(s.dirty, dirtySession{c: c, s: sess})
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
	for i, d := range s.dirty {
		x := d.s
		id[i], key[i], cust[i] = x.ID(), d.c.Key, x.CustomerID
		start[i] = time.UnixMilli(x.StartMs).UTC()
		startMs[i], endMs[i], duration[i] = x.StartMs, x.EndMs, x.EndMs-x.StartMs
		count[i], version[i] = x.Count, s.version
		entry[i], exit[i], channel[i], campaign[i] = x.Entry(), x.Exit(), x.Channel(), x.Campaign()
		if x.Converted {
			converted[i] = 1
		}
		x.dirty, x.listed = false, false
	}
	clear(s.dirty)
	s.dirty = s.dirty[:0]
	s.inFlight, s.inBatch = s.inBatch, s.inFlight
	clear(s.inBatch)
	s.lru.order.Advance() // this flush's customers stay pending until Written
	return []sink.Block{{
		Table: "sessions",
		Columns: []string{"session_id", "customer_key", "customer_id", "start", "start_ms", "end_ms", "duration_ms",
			"event_count", "entry_touchpoint", "exit_touchpoint", "channel", "campaign", "converted", "version"},
		Data: []any{id, key, cust, start, startMs, endMs, duration, count, entry, exit, channel, campaign, converted, version},
		Rows: n,
	}}
}

// Written implements stage.Stage: it drops sessions no event can join any
// more and evicts idle keys, then the least recently used ones beyond
// MaxCustomers or MaxBytes.
//
// With flushes overlapped, it is called for the previous flush after this
// one was processed: customers of this flush (still pending) stay.
func (s *Stage) Written() {
	s.lru.order.Complete()
	for _, c := range s.custs {
		c.listed = false
		s.m.Closed.Add(float64(s.cfg.Prune(c)))
		size := c.Size()
		s.bytes += size - c.size
		c.size = size
	}
	clear(s.custs)
	s.custs = s.custs[:0]
	idle := s.now().Add(-s.cfg.IdleAfter).Unix()
	for s.lru.Len() > 0 {
		c := s.lru.Oldest()
		if s.lru.Len() <= s.cfg.MaxCustomers && (s.cfg.MaxBytes <= 0 || s.bytes <= s.cfg.MaxBytes) && c.seen >= idle {
			break
		}
		if s.lru.order.Pending(c) {
			break // every newer one has rows not yet written, too
		}
		s.lru.RemoveOldest()
	}
	s.m.Customers.Set(float64(s.lru.Len()))
	s.m.Bytes.Set(float64(s.bytes))
}

// Reset implements stage.Stage.
func (s *Stage) Reset() {
	s.lru.Purge() // every Customer and Session goes: their listed flags with them
	s.bytes = 0
	clear(s.dirty)
	s.dirty = s.dirty[:0]
	clear(s.custs)
	s.custs = s.custs[:0]
	clear(s.stored)
	clear(s.inBatch)
	clear(s.inFlight)
	s.dir.reset() // the partitions may have moved: another instance's keys
	s.m.Customers.Set(0)
	s.m.Bytes.Set(0)
}
