package main

import (
	"context"
	"io"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/kelseyhightower/envconfig"
	"github.com/segmentio/kafka-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cemhq/cem/pkg/telemetry/maintest"
)

func TestMain(m *testing.M) {
	maintest.Dispatch[Config](main)
	os.Exit(m.Run())
}

// TestInvalidConfigExits2 starts the real main function with one invalid
// variable per rule of Config.Validate: exit status 2, the variable named.
func TestInvalidConfigExits2(t *testing.T) {
	maintest.ExpectConfigErrors(t, []string{"CEM_DEVBROKER_DATA_DIR="}, []maintest.Case{
		{Env: "CEM_DEVBROKER_ADDR="},
		{Env: "CEM_DEVBROKER_PARTITIONS=0"},
	})
}

func TestConfigDefaults(t *testing.T) {
	for _, k := range []string{"CEM_DEVBROKER_ADDR", "CEM_DEVBROKER_DATA_DIR", "CEM_DEVBROKER_PARTITIONS"} {
		t.Setenv(k, "") // restored at cleanup
		require.NoError(t, os.Unsetenv(k))
	}
	var cfg Config
	require.NoError(t, envconfig.Process("cem", &cfg))
	require.NoError(t, cfg.Validate())
	assert.Equal(t, "127.0.0.1:9092", cfg.Addr)
	assert.Equal(t, ".data/kafka", cfg.DataDir)
	assert.Equal(t, 6, cfg.Partitions)
	assert.Error(t, Config{Addr: "x", Partitions: 0}.Validate())
}

// startRun runs the broker in the background and returns its address and
// a stop function that cancels it and waits for run to return.
func startRun(t *testing.T, cfg Config) (string, func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	addrCh, done := make(chan string, 1), make(chan error, 1)
	go func() {
		done <- run(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), func(a string) { addrCh <- a })
	}()
	var addr string
	select {
	case addr = <-addrCh:
	case err := <-done:
		cancel()
		t.Fatalf("run returned before ready: %v", err)
	}
	return addr, func() {
		cancel()
		require.NoError(t, <-done)
	}
}

func TestRunServesAndPersists(t *testing.T) {
	cfg := Config{Addr: "127.0.0.1:0", DataDir: t.TempDir(), Partitions: 2}
	addr, stop := startRun(t, cfg)
	w := &kafka.Writer{Addr: kafka.TCP(addr), Topic: "cem.events", RequiredAcks: kafka.RequireAll, BatchTimeout: time.Millisecond}
	require.NoError(t, w.WriteMessages(context.Background(), kafka.Message{Value: []byte("hello")}))
	require.NoError(t, w.Close())
	stop()

	cfg.Addr = addr
	_, stop = startRun(t, cfg)
	defer stop()
	r := kafka.NewReader(kafka.ReaderConfig{Brokers: []string{addr}, Topic: "cem.events", GroupID: "t", StartOffset: kafka.FirstOffset, MaxWait: 50 * time.Millisecond})
	defer r.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	m, err := r.FetchMessage(ctx)
	require.NoError(t, err)
	assert.Equal(t, "hello", string(m.Value))
}

func TestRunFailsOnBusyAddr(t *testing.T) {
	addr, stop := startRun(t, Config{Addr: "127.0.0.1:0", Partitions: 1})
	defer stop()
	err := run(context.Background(), Config{Addr: addr, Partitions: 1}, slog.New(slog.NewTextHandler(io.Discard, nil)), func(string) {})
	require.Error(t, err)
}
