package session

import (
	"context"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cemhq/cem/services/processor/internal/stage"
)

// keyRows are the rows of the directory's scan: the keys' cityHash64.
type keyRows struct {
	driver.Rows // the methods a test does not call
	keys        []string
	i           int
}

func (r *keyRows) Next() bool { r.i++; return r.i <= len(r.keys) }
func (r *keyRows) Scan(dest ...any) error {
	*dest[0].(*uint64) = keyHash(r.keys[r.i-1])
	return nil
}

// scanStore answers the directory's scan with keys once gate is closed (or
// ctx ends) and records the keys every restore read asks for; the events
// table has no sessions.
type scanStore struct {
	keys  []string
	gate  chan struct{}
	mu    sync.Mutex
	scans int
	from  []int64
	read  []string
}

func (s *scanStore) DB() string { return "db" }

func (s *scanStore) Query(ctx context.Context, scan func(driver.Rows) error, query string, args ...any) error {
	if strings.HasPrefix(query, "SELECT DISTINCT cityHash64(customer_key)") {
		s.mu.Lock()
		s.scans++
		s.from = append(s.from, args[0].(int64))
		s.mu.Unlock()
		select {
		case <-s.gate:
		case <-ctx.Done():
			return ctx.Err()
		}
		return scan(&keyRows{keys: s.keys})
	}
	if strings.Contains(query, "GROUP BY customer_key, session_id") { // restore
		s.mu.Lock()
		for _, v := range args[0].(clickhouse.GroupSet).Value {
			s.read = append(s.read, v.(string))
		}
		s.mu.Unlock()
	}
	return nil
}

func (s *scanStore) takeRead() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.read
	s.read = nil
	slices.Sort(r)
	return r
}

func newDirStage(t *testing.T, q Querier, capacity uint) (*Stage, *Metrics) {
	t.Helper()
	m := NewMetrics(prometheus.NewRegistry())
	st, err := NewStage(Config{
		Rules:        Rules{Gap: 30 * time.Minute, MaxLength: 24 * time.Hour, Lateness: 30 * time.Minute},
		MaxCustomers: 1 << 20, MaxBytes: 1 << 30, IdleAfter: time.Hour,
		Directory: DirectoryConfig{Enabled: true, Capacity: capacity},
	}, q, m, slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	return st, m
}

// flush runs one flush of the stage over events of keys at tsMs.
func flush(t *testing.T, st *Stage, tsMs int64, keys ...string) {
	t.Helper()
	var batch []*stage.Event
	for _, k := range keys {
		batch = append(batch, &stage.Event{ID: "web:" + k + "-" + time.UnixMilli(tsMs).Format("150405.000"), Key: k, TsMs: tsMs, Touchpoint: "web:/", Channel: "web"})
	}
	require.NoError(t, st.Load(context.Background(), batch))
	for _, ev := range batch {
		require.NoError(t, st.Process(ev))
	}
	st.Drain()
	st.Written()
}

// awaitScan waits until the stage has taken over its directory's scan.
func awaitScan(t *testing.T, st *Stage) {
	t.Helper()
	require.NotNil(t, st.dir.scan, "a scan runs")
	<-st.dir.scan.done
}

func TestDirectorySkipsOnlyKeysNeverStored(t *testing.T) {
	q := &scanStore{keys: []string{"stored-1", "stored-2"}, gate: make(chan struct{})}
	st, m := newDirStage(t, q, 0)
	now := time.Now().UnixMilli()

	// Until the scan completes every key not held is read; the keys of
	// these flushes are not in the scan's snapshot and must be kept.
	flush(t, st, now, "early", "stored-1")
	assert.Equal(t, []string{"early", "stored-1"}, q.takeRead())
	flush(t, st, now, "early") // held: no read, but added while scanning
	assert.Empty(t, q.takeRead())
	close(q.gate)
	awaitScan(t, st)

	st.Reset()
	assert.Nil(t, st.dir.cur, "Reset drops the directory: a rebalance may bring another instance's keys")
	flush(t, st, now, "stored-2") // starts the scan of the new generation
	assert.Equal(t, []string{"stored-2"}, q.takeRead())
	awaitScan(t, st)
	flush(t, st, now, "stored-1", "fresh-1", "fresh-2")
	assert.Equal(t, []string{"stored-1"}, q.takeRead(), "scanned keys are read, new ones are not")
	assert.Equal(t, 2.0, testutil.ToFloat64(m.Restores.WithLabelValues("new")))

	// A key rebuilt without a read is in the directory: evicted and back,
	// it is read.
	st.lru.Purge()
	flush(t, st, now, "fresh-1")
	assert.Equal(t, []string{"fresh-1"}, q.takeRead())

	// An event older than the scan's horizon reaches rows the scan did not
	// look at: read.
	old := now - (st.cfg.Directory.Horizon - 12*time.Hour).Milliseconds()
	flush(t, st, old, "ancient")
	assert.Equal(t, []string{"ancient"}, q.takeRead())
	assert.Equal(t, 2, q.scans)
}

func TestDirectoryKeepsKeysLoadedDuringItsScan(t *testing.T) {
	q := &scanStore{keys: []string{"stored"}, gate: make(chan struct{})}
	st, _ := newDirStage(t, q, 0)
	now := time.Now().UnixMilli()
	flush(t, st, now, "a")
	flush(t, st, now, "a", "b") // a held, b not: both written after the scan's snapshot
	close(q.gate)
	awaitScan(t, st)
	st.lru.Purge()
	q.takeRead()
	flush(t, st, now, "a", "b", "c")
	assert.Equal(t, []string{"a", "b"}, q.takeRead(), "keys loaded while the directory was scanned are in it")
}

func TestDirectoryReset(t *testing.T) {
	q := &scanStore{keys: []string{"stored"}, gate: make(chan struct{})}
	st, _ := newDirStage(t, q, 0)
	flush(t, st, time.Now().UnixMilli(), "a")
	sc := st.dir.scan
	st.Reset()
	<-sc.done // cancelled: the gate never opens
	require.Error(t, sc.err)
	assert.Nil(t, st.dir.scan)
	assert.Nil(t, st.dir.cur)
}

func TestDirectoryFailedScanIsRetried(t *testing.T) {
	q := &scanStore{keys: []string{"stored"}, gate: make(chan struct{})}
	st, m := newDirStage(t, q, 0)
	now := time.Now()
	st.now = func() time.Time { return now }
	flush(t, st, now.UnixMilli(), "a")
	st.dir.scan.cancel() // as a scan that times out
	awaitScan(t, st)
	flush(t, st, now.UnixMilli(), "b")
	assert.Equal(t, 1.0, testutil.ToFloat64(m.DirectoryScans.WithLabelValues("error")))
	assert.Nil(t, st.dir.scan, "no new scan before RetryAfter")
	assert.Equal(t, []string{"a", "b"}, q.takeRead())
	now = now.Add(st.dir.cfg.RetryAfter)
	close(q.gate)
	flush(t, st, now.UnixMilli(), "c")
	awaitScan(t, st)
	flush(t, st, now.UnixMilli(), "d")
	assert.Equal(t, []string{"c"}, q.takeRead())
	assert.Equal(t, 1.0, testutil.ToFloat64(m.DirectoryScans.WithLabelValues("ok")))
}

func TestDirectoryRebuildsWhenFull(t *testing.T) {
	q := &scanStore{gate: make(chan struct{})}
	close(q.gate)
	st, m := newDirStage(t, q, 0) // sized for 1,024 keys
	now := time.Now().UnixMilli()
	flush(t, st, now, "first")
	awaitScan(t, st)
	flush(t, st, now, "x") // takes the scan over
	var keys []string
	for i := range 1100 {
		keys = append(keys, "k"+strings.Repeat("x", i%7)+time.Duration(i).String())
	}
	flush(t, st, now, keys...)
	assert.Nil(t, st.dir.scan)
	flush(t, st, now, "y") // the filter is full: a scan rebuilds it larger
	require.NotNil(t, st.dir.scan)
	awaitScan(t, st)
	flush(t, st, now, "z")
	assert.Equal(t, 2, q.scans)
	assert.Greater(t, st.dir.curSize, uint(2*1024), "twice the keys it held: more than twice its first size (an overfull filter undercounts a few)")
	assert.Equal(t, 2.0, testutil.ToFloat64(m.DirectoryScans.WithLabelValues("ok")))
}
