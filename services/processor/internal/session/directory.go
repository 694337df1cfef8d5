package session

import (
	"context"
	"encoding/binary"
	"fmt"
	"log/slog"
	"time"
	"unsafe"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/bits-and-blooms/bloom/v3"
	"github.com/go-faster/city"
)

// DirectoryConfig configures the directory of stored keys.
type DirectoryConfig struct {
	// Enabled turns the directory on; off, every key not held is read.
	Enabled bool
	// Capacity is the number of keys the first filter is sized for
	// (bitsPerKey each); a filter that fills beyond its size is rebuilt
	// twice as large.
	Capacity uint
	// Horizon is how far back in event time the scan looks for keys: a key
	// whose events are all older is not in the directory, so only an event
	// whose restore reads nothing older than the scan's start minus Horizon
	// may skip the read; older events are read. It bounds the scan to the
	// keys active since. NewStage raises it to the restore's reach
	// (MaxLength + Gap + Lateness + eventsql.RangeMargin) plus a day.
	Horizon time.Duration
	// ScanTimeout bounds one scan (its retries included); a failed scan is
	// tried again after RetryAfter, and keys are read meanwhile.
	ScanTimeout, RetryAfter time.Duration
}

// The filter's shape: 32 bits and 4 hash functions per key give about 0.02 %
// false positives when full (4 bytes per key). More hash functions would
// lower that at the same size, but each is a cache miss in a filter of
// millions of keys: at 4 a test costs 80-250 ns, at 13 (the optimum for
// 0.01 %) 460 ns, paid for every key a flush restores.
const (
	bitsPerKey = 32
	hashes     = 4
)

// keyHash is ClickHouse's cityHash64 of key: the directory holds hashes, so
// that its scan sends 8 bytes per key and ClickHouse's DISTINCT holds 8
// (1M keys: 185 ms and 114 MB of the server's memory, against 677 ms and
// 520 MB for the keys themselves). Two keys with one hash make the second
// look stored: it is read, as without a directory.
func keyHash(key string) uint64 {
	return city.CH64(unsafe.Slice(unsafe.StringData(key), len(key)))
}

// directory tells keys of the events table that have no rows (since its
// horizon), so that restoring them needs no read: a key is new unless its
// Bloom filter may contain its hash. The filter holds every customer_key the
// events table had when its scan started (one SELECT DISTINCT, run in the
// background) and every key a flush of this stage has loaded since, which
// are the only keys whose rows can appear in a partition this instance
// owns: Kafka partitions by customer key, and the directory is rebuilt on
// every Reset (a rebalance may bring keys another instance wrote).
//
// It is used from the pipeline's goroutine only; the scan builds its
// filter on a goroutine of its own and hands it over through done.
type directory struct {
	cfg DirectoryConfig
	q   Querier
	m   *Metrics
	log *slog.Logger
	now func() time.Time

	cur     *bloom.BloomFilter // nil until the first scan completes
	curFrom int64              // event time (ms) the cur filter is complete from
	count   uint               // keys in cur: scanned plus added (an estimate)
	curSize uint               // keys cur was sized for: beyond, a scan rebuilds it
	scan    *dirScan           // in progress, or nil
	pending []uint64           // hashes of keys loaded while scan runs (not in its snapshot)
	retryAt time.Time
}

// dirScan is a scan in progress.
type dirScan struct {
	cancel context.CancelFunc
	done   chan struct{}
	from   int64 // ts_ms lower bound of the scan
	size   uint  // keys its filter is sized for
	// Set by the scan's goroutine before done closes.
	f   *bloom.BloomFilter
	n   uint
	err error
	dur time.Duration
}

func newDirectory(cfg DirectoryConfig, q Querier, m *Metrics, log *slog.Logger, now func() time.Time) *directory {
	cfg.Capacity = max(cfg.Capacity, 1024)
	if cfg.ScanTimeout <= 0 {
		cfg.ScanTimeout = 10 * time.Minute
	}
	if cfg.RetryAfter <= 0 {
		cfg.RetryAfter = 30 * time.Second
	}
	return &directory{cfg: cfg, q: q, m: m, log: log, now: now}
}

// begin is called at the start of each flush's Load, before its keys are
// added: it takes over a completed scan and starts one when there is no
// filter or the filter is full. await waits for the previous flush's rows
// in flight, so that the new scan sees every row of the flushes before.
func (d *directory) begin(await func() error) error {
	if !d.cfg.Enabled {
		return nil
	}
	if d.scan != nil {
		select {
		case <-d.scan.done:
			d.finish()
		default:
		}
	}
	if d.cur != nil {
		d.m.DirectoryKeys.Set(float64(d.count))
	}
	if d.scan != nil || (d.cur != nil && d.count <= d.curSize) {
		return nil
	}
	if d.now().Before(d.retryAt) {
		return nil
	}
	if err := await(); err != nil {
		return err
	}
	d.start()
	return nil
}

func (d *directory) start() {
	ctx, cancel := context.WithTimeout(context.Background(), d.cfg.ScanTimeout)
	// A filter that filled up is rebuilt at twice the keys it holds.
	size := max(d.cfg.Capacity, 2*d.count)
	sc := &dirScan{cancel: cancel, done: make(chan struct{}), from: d.now().Add(-d.cfg.Horizon).UnixMilli(), size: size}
	d.scan = sc
	d.pending = d.pending[:0]
	go func() {
		defer close(sc.done)
		defer cancel()
		t0 := time.Now()
		q := fmt.Sprintf("SELECT DISTINCT cityHash64(customer_key) FROM %s.events WHERE ts_ms >= ?", d.q.DB())
		sc.err = d.q.Query(ctx, func(rows driver.Rows) error {
			sc.f, sc.n = bloom.New(size*bitsPerKey, hashes), 0
			var h uint64
			for rows.Next() {
				if err := rows.Scan(&h); err != nil {
					return fmt.Errorf("scan stored key hash: %w", err)
				}
				addHash(sc.f, h)
				sc.n++
			}
			return nil
		}, q, sc.from)
		sc.dur = time.Since(t0)
	}()
}

// finish takes over the completed scan (begin then reports its keys).
func (d *directory) finish() {
	sc := d.scan
	d.scan = nil
	if sc.err != nil {
		d.m.DirectoryScans.WithLabelValues("error").Inc()
		d.retryAt = d.now().Add(d.cfg.RetryAfter)
		d.log.Warn("session: scan of stored keys failed; keys not held are read until it succeeds", "err", sc.err, "retry_in", d.cfg.RetryAfter)
		return
	}
	d.m.DirectoryScans.WithLabelValues("ok").Inc()
	d.cur, d.curFrom, d.curSize, d.count = sc.f, sc.from, sc.size, sc.n
	for _, h := range d.pending {
		if !addHash(d.cur, h) {
			d.count++
		}
	}
	d.pending = d.pending[:0]
	d.m.DirectoryBytes.Set(float64(d.cur.Cap() / 8))
	d.log.Debug("session: directory of stored keys built", "keys", sc.n, "added", d.count-sc.n, "seconds", sc.dur.Seconds())
}

// covers reports whether the directory knows every key with a stored row
// at or after fromMs (event time).
func (d *directory) covers(fromMs int64) bool {
	return d.cur != nil && fromMs >= d.curFrom
}

// add records that key's rows may be written from now on, and reports
// whether it may have had any before (true while there is no filter).
func (d *directory) add(key string) bool {
	h := keyHash(key)
	if d.scan != nil {
		d.pending = append(d.pending, h)
	}
	if d.cur == nil {
		return true
	}
	if addHash(d.cur, h) {
		return true
	}
	d.count++
	return false
}

// addHash adds h to f and reports whether f may have held it before.
func addHash(f *bloom.BloomFilter, h uint64) bool {
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], h)
	return f.TestAndAdd(b[:])
}

// scanning reports whether a scan is in progress (every key of a flush
// must then be added, held or not).
func (d *directory) scanning() bool { return d.scan != nil }

// reset drops the filter and stops a scan: the next flush starts another.
func (d *directory) reset() {
	if d.scan != nil {
		d.scan.cancel()
		d.scan = nil
	}
	d.cur, d.count, d.pending, d.retryAt = nil, 0, nil, time.Time{}
	d.m.DirectoryKeys.Set(0)
	d.m.DirectoryBytes.Set(0)
}
