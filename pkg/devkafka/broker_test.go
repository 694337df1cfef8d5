package devkafka_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cemhq/cem/pkg/devkafka"
)

func start(t *testing.T, cfg devkafka.Config) *devkafka.Broker {
	t.Helper()
	b, err := devkafka.Start(cfg)
	require.NoError(t, err)
	t.Cleanup(b.Close)
	return b
}

func produce(t *testing.T, addr, topic string, from, n int) {
	t.Helper()
	w := &kafka.Writer{
		Addr: kafka.TCP(addr), Topic: topic, Balancer: &kafka.Hash{},
		RequiredAcks: kafka.RequireAll, BatchTimeout: 5 * time.Millisecond,
		AllowAutoTopicCreation: true,
	}
	defer func() { require.NoError(t, w.Close()) }()
	msgs := make([]kafka.Message, 0, n)
	for i := from; i < from+n; i++ {
		msgs = append(msgs, kafka.Message{Key: fmt.Appendf(nil, "k%d", i%7), Value: fmt.Appendf(nil, "v%d", i)})
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	require.NoError(t, w.WriteMessages(ctx, msgs...))
}

// consume reads n messages in group, commits them and returns their values.
func consume(t *testing.T, addr, topic, group string, n int) map[string]bool {
	t.Helper()
	r := kafka.NewReader(kafka.ReaderConfig{
		Brokers: []string{addr}, Topic: topic, GroupID: group, MaxWait: 100 * time.Millisecond,
		StartOffset: kafka.FirstOffset,
	})
	defer func() { require.NoError(t, r.Close()) }()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	got := map[string]bool{}
	for len(got) < n {
		m, err := r.FetchMessage(ctx)
		require.NoError(t, err, "fetched %d of %d", len(got), n)
		got[string(m.Value)] = true
		require.NoError(t, r.CommitMessages(ctx, m))
	}
	return got
}

func TestStartDefaults(t *testing.T) {
	b := start(t, devkafka.Config{Addr: "127.0.0.1:0"})
	conn, err := kafka.Dial("tcp", b.Addr())
	require.NoError(t, err)
	defer conn.Close()
	parts, err := conn.ReadPartitions(devkafka.DefaultTopics...)
	require.NoError(t, err)
	perTopic := map[string]int{}
	for _, p := range parts {
		perTopic[p.Topic]++
	}
	assert.Equal(t, map[string]int{"cem.events": 6, "cem.events.dlq": 6, "cem.alerts": 6}, perTopic)
}

func TestStartAddrInUse(t *testing.T) {
	b := start(t, devkafka.Config{Addr: "127.0.0.1:0"})
	_, err := devkafka.Start(devkafka.Config{Addr: b.Addr()})
	require.Error(t, err)
}

func TestProduceConsumeGroup(t *testing.T) {
	b := start(t, devkafka.Config{Addr: "127.0.0.1:0", Partitions: 3})
	produce(t, b.Addr(), "cem.events", 0, 100)
	got := consume(t, b.Addr(), "cem.events", "g1", 100)
	assert.Len(t, got, 100)
	assert.True(t, got["v0"] && got["v99"])
}

func TestAutoCreatedTopic(t *testing.T) {
	b := start(t, devkafka.Config{Addr: "127.0.0.1:0"})
	produce(t, b.Addr(), "test.auto", 0, 10)
	assert.Len(t, consume(t, b.Addr(), "test.auto", "g", 10), 10)
}

// TestRestartKeepsRecordsAndOffsets restarts a broker on the same address
// and DataDir: records and the group's committed offsets survive, so the
// group resumes exactly after what it committed.
func TestRestartKeepsRecordsAndOffsets(t *testing.T) {
	dir := t.TempDir()
	b1, err := devkafka.Start(devkafka.Config{Addr: "127.0.0.1:0", DataDir: dir})
	require.NoError(t, err)
	addr := b1.Addr()
	produce(t, addr, "cem.events", 0, 50)
	first := consume(t, addr, "cem.events", "g", 30)
	require.Len(t, first, 30)
	b1.Close()

	start(t, devkafka.Config{Addr: addr, DataDir: dir})
	produce(t, addr, "cem.events", 50, 10)
	// A new group sees all 60 records: the 50 from before the restart survived.
	assert.Len(t, consume(t, addr, "cem.events", "fresh", 60), 60)
	// The old group resumes after its commits: the 20 uncommitted old
	// records plus the 10 new ones, none of those it committed before.
	rest := consume(t, addr, "cem.events", "g", 30)
	for v := range rest {
		assert.False(t, first[v], "%s was committed before the restart but delivered again", v)
	}
	for i := 50; i < 60; i++ {
		assert.True(t, rest[fmt.Sprintf("v%d", i)], "v%d", i)
	}
}
