package app_test

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/segmentio/kafka-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cemhq/cem/pkg/events"
	"github.com/cemhq/cem/pkg/itest"
	"github.com/cemhq/cem/services/processor/internal/session"
)

// workload returns perKey events for each of keys customer keys, per key in
// time order with gaps that sometimes exceed the session gap, and a few
// events up to 20 min late.
func workload(b *evb, keys, perKey int) []*events.Event {
	rng := rand.New(rand.NewPCG(1, 2))
	var out []*events.Event
	mins := make([]float64, keys)
	for range perKey {
		for k := range keys {
			step := float64(rng.IntN(8))
			if rng.IntN(10) == 0 {
				step = 45 // a new session
			}
			mins[k] += step
			at := mins[k]
			if rng.IntN(12) == 0 && at > 20 {
				at -= float64(rng.IntN(20)) // late, within the allowed lateness
			}
			out = append(out, b.ev(events.TypeTrack, fmt.Sprintf("dev-%03d", k), "", at, named(fmt.Sprintf("E%d", rng.IntN(5))), channel("web")))
		}
	}
	return out
}

// expectedSessions runs the session rules over evs in produce order (the
// order of each key's partition) and returns "id|count" per key.
func expectedSessions(evs []*events.Event) map[string][]string {
	r := session.Rules{Gap: 30 * time.Minute, MaxLength: 24 * time.Hour, Lateness: 30 * time.Minute}
	custs := map[string]*session.Customer{}
	for _, ev := range evs {
		k := ev.CustomerKey()
		if custs[k] == nil {
			custs[k] = session.NewCustomer(k, 0)
		}
		r.Assign(custs[k], session.Input{EventID: ev.Source + ":" + ev.MessageID, TsMs: ev.Timestamp.UnixMilli()})
	}
	out := map[string][]string{}
	for k, c := range custs {
		for _, s := range c.Sessions {
			out[k] = append(out[k], fmt.Sprintf("%s|%d", s.ID(), s.Count))
		}
		sort.Strings(out[k])
	}
	return out
}

func (e *env) storedSessions() map[string][]string {
	e.t.Helper()
	rows, err := e.conn.Query(context.Background(), e.sql("SELECT customer_key, session_id, event_count FROM {db}.sessions FINAL"))
	require.NoError(e.t, err)
	defer rows.Close()
	out := map[string][]string{}
	for rows.Next() {
		var k, id string
		var n uint64
		require.NoError(e.t, rows.Scan(&k, &id, &n))
		out[k] = append(out[k], fmt.Sprintf("%s|%d", id, n))
	}
	for k := range out {
		sort.Strings(out[k])
	}
	return out
}

// committed is the sum of the group's committed offsets on cem.events.
func (e *env) committed(group string) int64 {
	e.t.Helper()
	offsets, err := committedOffsets(e.kafka(), group, []int{0, 1, 2, 3, 4, 5, 6, 7})
	require.NoError(e.t, err)
	var sum int64
	for _, o := range offsets {
		sum += o
	}
	return sum
}

// rewind moves the group's committed offsets back to half, once the group
// is empty.
func (e *env) rewind(group string) {
	e.t.Helper()
	c := e.kafka()
	itest.Eventually(e.t, 30*time.Second, func() bool {
		res, err := c.DescribeGroups(context.Background(), &kafka.DescribeGroupsRequest{GroupIDs: []string{group}})
		return err == nil && len(res.Groups) == 1 && res.Groups[0].GroupState == "Empty"
	}, "dead member expired")
	res, err := c.OffsetFetch(context.Background(), &kafka.OffsetFetchRequest{GroupID: group, Topics: map[string][]int{"cem.events": {0, 1, 2, 3, 4, 5, 6, 7}}})
	require.NoError(e.t, err)
	var back []kafka.OffsetCommit
	for _, p := range res.Topics["cem.events"] {
		if p.CommittedOffset > 0 {
			back = append(back, kafka.OffsetCommit{Partition: p.Partition, Offset: p.CommittedOffset / 2})
		}
	}
	cr, err := c.OffsetCommit(context.Background(), &kafka.OffsetCommitRequest{
		GroupID: group, GenerationID: -1, Topics: map[string][]kafka.OffsetCommit{"cem.events": back},
	})
	require.NoError(e.t, err)
	for _, ps := range cr.Topics {
		for _, p := range ps {
			require.NoError(e.t, p.Error)
		}
	}
}

// TestKillAndRestartIntegration runs on a single node and on the sharded
// cluster: there the replayed rows must reach the shard of their first copy
// (the sharding key is the customer key) to collapse.
func TestKillAndRestartIntegration(t *testing.T) {
	forEachLayout(t, testKillAndRestart)
}

func testKillAndRestart(t *testing.T, e *env) {
	bin := filepath.Join(t.TempDir(), "processor")
	build := exec.Command("go", "build", "-o", bin, "../..")
	build.Stderr = os.Stderr
	require.NoError(t, build.Run())

	run := func() *exec.Cmd {
		cmd := exec.Command(bin)
		cmd.Env = append(append(os.Environ(), e.chEnv()...),
			"CEM_KAFKA_BROKERS="+e.broker, "CEM_PROCESSOR_ADMIN_ADDR=127.0.0.1:0", "CEM_PROCESSOR_FLUSH_ROWS=300", "CEM_PROCESSOR_FLUSH_INTERVAL=100ms",
			"CEM_PROCESSOR_GROUP_SESSION_TIMEOUT=6s", "CEM_LOG_LEVEL=warn", "CEM_LOG_FORMAT=text")
		cmd.Stderr = logOut()
		require.NoError(t, cmd.Start())
		return cmd
	}
	b := newEvb("app")
	evs := workload(b, 40, 100) // 4,000 events
	p1 := run()
	t.Cleanup(func() { _ = p1.Process.Kill(); _, _ = p1.Process.Wait() })

	var wg sync.WaitGroup
	wg.Go(func() {
		for i := 0; i < len(evs); i += 100 {
			e.produce(evs[i:min(i+100, len(evs))]...)
			time.Sleep(10 * time.Millisecond) // a stream, not one burst
		}
	})
	itest.Eventually(t, 60*time.Second, func() bool {
		return e.countOr0("SELECT count() FROM {db}.events") >= 1000
	}, "first rows written")
	require.NoError(t, p1.Process.Signal(syscall.SIGKILL))
	_, _ = p1.Process.Wait()
	killedAt := e.count("SELECT count() FROM {db}.events FINAL")
	t.Logf("killed with %d of %d events written", killedAt, len(evs))
	// A kill between a flush's writes and its commit is a matter of luck;
	// make it certain: once the dead member has left the group, move the
	// committed offsets back to half, as if the last flushes had never been
	// committed.
	e.rewind("cem-processor")

	p2 := run()
	t.Cleanup(func() { _ = p2.Process.Signal(syscall.SIGTERM); _, _ = p2.Process.Wait() })
	wg.Wait()
	e.waitEvents(uint64(len(evs)))
	itest.Eventually(t, 30*time.Second, func() bool { return e.committed("cem-processor") == int64(len(evs)) }, "all offsets committed")

	assert.Equal(t, uint64(len(evs)), e.count("SELECT count() FROM {db}.events FINAL"), "every event exactly once")
	assert.Equal(t, uint64(len(evs)), e.count("SELECT uniqExact(event_id) FROM {db}.events"))
	assert.Equal(t, uint64(len(evs)), e.count("SELECT sum(event_count) FROM {db}.sessions FINAL"), "no session count inflated by the replay")
	assert.Equal(t, expectedSessions(evs), e.storedSessions(), "sessions as an uninterrupted run would cut them")
	t.Logf("raw event rows (replayed duplicates until merged away): %d", e.count("SELECT count() FROM {db}.events"))
}

func TestTwoInstancesIntegration(t *testing.T) {
	e := newEnv(t)
	cfg := e.config("cem-processor")
	p1, p2 := e.start(cfg), e.start(cfg)
	c := e.kafka()
	itest.Eventually(t, 30*time.Second, func() bool {
		res, err := c.DescribeGroups(context.Background(), &kafka.DescribeGroupsRequest{GroupIDs: []string{"cem-processor"}})
		if err != nil || len(res.Groups) != 1 || res.Groups[0].GroupState != "Stable" || len(res.Groups[0].Members) != 2 {
			return false
		}
		for _, m := range res.Groups[0].Members {
			if len(m.MemberAssignments.Topics) == 0 {
				return false
			}
		}
		return true
	}, "two members with partitions")

	evs := workload(newEvb("web"), 64, 30)
	e.produce(evs...)
	e.waitEvents(uint64(len(evs)))
	itest.Eventually(t, 30*time.Second, func() bool { return e.committed("cem-processor") == int64(len(evs)) }, "all offsets committed")
	assert.Equal(t, uint64(len(evs)), e.count("SELECT count() FROM {db}.events"), "written once, not even a replayed duplicate")
	w1, w2 := metric(t, p1.reg, "cem_processor_rows_written_total", "events"), metric(t, p2.reg, "cem_processor_rows_written_total", "events")
	assert.Positive(t, w1)
	assert.Positive(t, w2)
	assert.Equal(t, float64(len(evs)), w1+w2, "the instances split the work")
	assert.Equal(t, expectedSessions(evs), e.storedSessions())
}

// metric returns the value of a counter or gauge with the given label value
// (any label) or, with label "", without labels.
func metric(t *testing.T, reg *prometheus.Registry, name, label string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	require.NoError(t, err)
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			if label != "" && (len(m.GetLabel()) == 0 || m.GetLabel()[0].GetValue() != label) {
				continue
			}
			if m.GetCounter() != nil {
				return m.GetCounter().GetValue()
			}
			return m.GetGauge().GetValue()
		}
	}
	return 0
}

// proxy forwards TCP to ClickHouse and can be switched off: then it closes
// every connection and refuses new ones, as a stopped server would.
type proxy struct {
	ln       net.Listener
	upstream string
	mu       sync.Mutex
	down     bool
	conns    []net.Conn
}

func newProxy(t *testing.T, upstream string) *proxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	p := &proxy{ln: ln, upstream: upstream}
	go p.serve()
	t.Cleanup(func() { _ = ln.Close(); p.setDown(true) })
	return p
}

func (p *proxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		if p.down {
			p.mu.Unlock()
			_ = c.Close()
			continue
		}
		u, err := net.Dial("tcp", p.upstream)
		if err != nil {
			p.mu.Unlock()
			_ = c.Close()
			continue
		}
		p.conns = append(p.conns, c, u)
		p.mu.Unlock()
		go func() { _, _ = io.Copy(u, c); _ = u.Close() }()
		go func() { _, _ = io.Copy(c, u); _ = c.Close() }()
	}
}

func (p *proxy) setDown(down bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = down
	if down {
		for _, c := range p.conns {
			_ = c.Close()
		}
		p.conns = nil
	}
}

func TestClickHouseOutageIntegration(t *testing.T) {
	e := newEnv(t)
	px := newProxy(t, e.chAddr)
	cfg := e.config("cem-processor")
	cfg.ClickHouse.Addr = px.ln.Addr().String()
	p := e.start(cfg)
	evs := workload(newEvb("web"), 10, 20)
	e.produce(evs[:50]...)
	e.waitEvents(50)
	itest.Eventually(t, 10*time.Second, func() bool { return e.committed("cem-processor") == 50 }, "first flush committed")
	require.Equal(t, http.StatusOK, readyz(t, p.admin))

	px.setDown(true)
	e.produce(evs[50:]...)
	itest.Eventually(t, 20*time.Second, func() bool {
		return metric(t, p.reg, "cem_processor_insert_retries_total", "events") >= 3 ||
			metric(t, p.reg, "cem_processor_insert_retries_total", "identity_merges") >= 3 ||
			metric(t, p.reg, "cem_processor_insert_retries_total", "sessions") >= 3
	}, "inserts retried while ClickHouse is down")
	assert.Equal(t, int64(50), e.committed("cem-processor"), "nothing committed while down")
	assert.Equal(t, http.StatusServiceUnavailable, readyz(t, p.admin))
	assert.Equal(t, 0.0, metric(t, p.reg, "cem_processor_ready", ""))
	assert.Equal(t, uint64(50), e.count("SELECT count() FROM {db}.events FINAL"))

	px.setDown(false)
	e.waitEvents(uint64(len(evs)))
	itest.Eventually(t, 20*time.Second, func() bool { return e.committed("cem-processor") == int64(len(evs)) }, "all committed after recovery")
	assert.Equal(t, uint64(len(evs)), e.count("SELECT count() FROM {db}.events FINAL"), "nothing lost")
	assert.Equal(t, uint64(len(evs)), e.count("SELECT sum(event_count) FROM {db}.sessions FINAL"))
	assert.Equal(t, http.StatusOK, readyz(t, p.admin))
}

func readyz(t *testing.T, addr string) int {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/readyz")
	require.NoError(t, err)
	_ = resp.Body.Close()
	return resp.StatusCode
}
