package scores

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/cemhq/cem/pkg/eventsql"
)

// Store reads the facts and state the scorer needs and writes its output.
// Implementations are used by one run at a time.
type Store interface {
	// LoadFacts returns the facts of every known customer (a canonical
	// customer with at least one event carrying a userId), finished.
	LoadFacts(ctx context.Context) ([]*Facts, error)
	// LoadState returns the state alerting needs at now.
	LoadState(ctx context.Context, now time.Time) (AlertState, error)
	// SnapshotTaken returns the customers that already have a snapshot on
	// day (UTC midnight).
	SnapshotTaken(ctx context.Context, day time.Time) (map[string]bool, error)
	// Write stores profiles and scores of results, the snapshots of snaps
	// for day, and alerts.
	Write(ctx context.Context, out Output) error
}

// Output is what one scorer run writes.
type Output struct {
	At        time.Time
	Results   []*Result
	Snapshots []*Result // results without a snapshot for Day yet
	Day       time.Time
	Alerts    []Alert
}

// ClickHouseStore implements Store on the tables of migrations 0001-0015.
type ClickHouseStore struct {
	conn driver.Conn
	db   string
}

var _ Store = (*ClickHouseStore)(nil)

// NewClickHouseStore returns a Store over database db.
func NewClickHouseStore(conn driver.Conn, db string) *ClickHouseStore {
	return &ClickHouseStore{conn: conn, db: db}
}

// resolved selects events (one row per event id, eventsql.Source; bots
// excluded) with cust, the canonical customer id resolved at read time
// through identities, so that links made after an event was written count.
// cols are plain column names; match filters on columns every copy of an
// event shares (eventsql.Query.Match).
func (s *ClickHouseStore) resolved(cols, match string) string {
	inner := []string{"customer_key", "customer_id"}
	for c := range strings.SplitSeq(cols, ",") {
		if c = strings.TrimSpace(c); c != "customer_key" && c != "customer_id" {
			inner = append(inner, c)
		}
	}
	src := eventsql.Source(s.db, eventsql.Query{Cols: inner, Match: match, Where: "is_bot = 0"})
	return `SELECT if(canonical != '', canonical, if(customer_id != '', customer_id, customer_key)) AS cust, ` + cols + `
FROM ` + src + ` AS e
ANY LEFT JOIN (SELECT id AS customer_key, argMax(customer_id, version) AS canonical FROM ` + s.db + `.identities GROUP BY id) AS r USING customer_key`
}

// literalEscaper escapes a string for a single-quoted ClickHouse literal.
// A NUL byte is written as \0: ClickHouse 26's lexer ends the query at a
// raw one (18.16 read it as part of the string).
var literalEscaper = strings.NewReplacer(`\`, `\\`, `'`, `\'`, "\x00", `\0`)

func quoteList(vals []string) string {
	q := make([]string, len(vals))
	for i, v := range vals {
		q[i] = "'" + literalEscaper.Replace(v) + "'"
	}
	return strings.Join(q, ", ")
}

func fromMs(ms int64) time.Time {
	if ms <= 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms).UTC()
}

func msOf(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

// LoadFacts implements Store with three reads: a summary per customer (the
// population), daily own activity per channel, and the fact events in time
// order.
func (s *ClickHouseStore) LoadFacts(ctx context.Context) ([]*Facts, error) {
	byID := map[string]*Facts{}
	q := `SELECT cust, arraySort(groupUniqArray(customer_key)), arraySort(groupUniqArrayIf(user_id, user_id != '')), count(),
uniqExactIf(session_id, session_id != ''), min(ts_ms)
FROM (` + s.resolved("customer_key, user_id, session_id, ts_ms", "") + `)
GROUP BY cust HAVING countIf(user_id != '') > 0`
	err := s.query(ctx, q, func(r driver.Rows) error {
		var (
			id          string
			keys, users []string
			n, sess     uint64
			first       int64
		)
		if err := r.Scan(&id, &keys, &users, &n, &sess, &first); err != nil {
			return err
		}
		f := NewFacts(id)
		f.SetSummary(Summary{IDs: union(keys, users), Events: int(n), Sessions: int(sess), FirstSeen: fromMs(first)})
		byID[id] = f
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("load customers: %w", err)
	}
	q = `SELECT cust, toDate(timestamp) AS day, channel, count(), max(ts_ms)
FROM (` + s.resolved("timestamp, channel, ts_ms, type, event",
		"type IN ('track', 'page', 'screen') AND event NOT IN ("+quoteList(PassiveEvents)+")") + `)
GROUP BY cust, day, channel`
	err = s.query(ctx, q, func(r driver.Rows) error {
		var (
			id, ch string
			day    time.Time
			n      uint64
			last   int64
		)
		if err := r.Scan(&id, &day, &ch, &n, &last); err != nil {
			return err
		}
		if f := byID[id]; f != nil {
			f.AddActivity(Activity{Day: day, Channel: ch, Events: int(n), Last: fromMs(last)})
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("load activity: %w", err)
	}
	q = `SELECT cust, event_id, type, event, ts_ms, received_ms, source, channel,
if(visitParamExtractString(properties, 'touchpoint') != '', visitParamExtractString(properties, 'touchpoint'), touchpoint),
score, revenue, currency, order_id, ticket_id, ticket_channel, contract_id, contract_end_ms, properties, traits
FROM (` + s.resolved(`event_id, type, event, ts_ms, received_ms, source, channel, touchpoint, score, revenue, currency,
order_id, ticket_id, ticket_channel, contract_id, contract_end_ms, properties, traits`,
		"(type = 'track' AND event IN ("+quoteList(FactEvents)+")) OR type = 'identify'") + `)
ORDER BY cust, ts_ms, event_id`
	err = s.query(ctx, q, func(r driver.Rows) error {
		var (
			id               string
			row              Row
			ts, recv, conEnd int64
		)
		if err := r.Scan(&id, &row.EventID, &row.Type, &row.Event, &ts, &recv, &row.Source, &row.Channel, &row.Touchpoint,
			&row.Score, &row.Revenue, &row.Currency, &row.OrderID, &row.TicketID, &row.TicketChannel, &row.ContractID,
			&conEnd, &row.Properties, &row.Traits); err != nil {
			return err
		}
		row.At, row.ReceivedAt, row.ContractEnd = fromMs(ts), fromMs(recv), fromMs(conEnd)
		if f := byID[id]; f != nil {
			f.Add(row)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("load fact events: %w", err)
	}
	out := make([]*Facts, 0, len(byID))
	for _, f := range byID {
		f.Finish()
		out = append(out, f)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].CustomerID < out[j].CustomerID })
	return out, nil
}

func union(a, b []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range append(append([]string(nil), a...), b...) {
		if s != "" && !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// LoadState implements Store: the churn risk of every customer at the
// last run, and the latest alert per customer and reason (any component)
// within the longest cool-down.
func (s *ClickHouseStore) LoadState(ctx context.Context, now time.Time) (AlertState, error) {
	st := AlertState{PreviousRisk: map[string]string{}}
	err := s.query(ctx, `SELECT customer_id, churn_risk FROM `+s.db+`.customer_scores FINAL`, func(r driver.Rows) error {
		var id, risk string
		if err := r.Scan(&id, &risk); err != nil {
			return err
		}
		st.PreviousRisk[id] = risk
		return nil
	})
	if err != nil {
		return st, fmt.Errorf("load previous scores: %w", err)
	}
	st.Cooldowns, err = s.loadCooldowns(ctx, now)
	return st, err
}

// SnapshotTaken implements Store.
func (s *ClickHouseStore) SnapshotTaken(ctx context.Context, day time.Time) (map[string]bool, error) {
	out := map[string]bool{}
	q := `SELECT DISTINCT customer_id FROM ` + s.db + `.score_snapshots WHERE day = toDate('` + day.Format(time.DateOnly) + `')`
	err := s.query(ctx, q, func(r driver.Rows) error {
		var id string
		if err := r.Scan(&id); err != nil {
			return err
		}
		out[id] = true
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("load snapshots: %w", err)
	}
	return out, nil
}

func (s *ClickHouseStore) query(ctx context.Context, q string, each func(driver.Rows) error) error {
	rows, err := s.conn.Query(ctx, q)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := each(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

// insert appends rows to a batch with an explicit column list and sends it.
func (s *ClickHouseStore) insert(ctx context.Context, table string, cols []string, n int, row func(i int) []any) error {
	if n == 0 {
		return nil
	}
	b, err := s.conn.PrepareBatch(ctx, "INSERT INTO "+s.db+"."+table+" ("+strings.Join(cols, ", ")+")")
	if err != nil {
		return fmt.Errorf("insert %s: %w", table, err)
	}
	defer func() { _ = b.Abort() }()
	for i := range n {
		if err := b.Append(row(i)...); err != nil {
			return fmt.Errorf("insert %s: %w", table, err)
		}
	}
	if err := b.Send(); err != nil {
		return fmt.Errorf("insert %s: %w", table, err)
	}
	return nil
}

func jsonText(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return "null"
	}
	return string(b)
}
