package webhook

import (
	"context"
	"errors"
	"log/slog"
	"net/http/httptest"
	"testing"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cemhq/cem/pkg/suppress"
	"github.com/cemhq/cem/services/processor/internal/sink"
)

// erasedSet is a suppression list of fixed ids.
type erasedSet map[string]bool

func (e erasedSet) Suppressed(id string) bool { return e[id] }
func (e erasedSet) Hold() suppress.Held       { return e }
func (e erasedSet) Release()                  {}

// untouchable is a Store that must not be used.
type untouchable struct{ t *testing.T }

func (u untouchable) Query(context.Context, func(driver.Rows) error, string, ...any) error {
	u.t.Error("the store was read for an erased customer")
	return errors.New("no")
}
func (u untouchable) Write(context.Context, []sink.Block) error {
	u.t.Error("an outcome was stored for an erased customer")
	return errors.New("no")
}
func (u untouchable) DB() string { return "db" }

// TestErasedCustomerNotDelivered: an alert of a customer erased on request
// (read from cem.alerts after the erasure) is neither sent nor recorded.
func TestErasedCustomerNotDelivered(t *testing.T) {
	rcv := &receiver{}
	srv := httptest.NewServer(rcv)
	defer srv.Close()
	cfg := testConfig()
	cfg.Targets = []Target{{Name: "crm", URL: srv.URL}}
	m := NewMetrics(prometheus.NewRegistry())
	c := NewConsumer(cfg, untouchable{t}, NewDeliverer(cfg, nil, m), m, slog.New(slog.DiscardHandler))
	a := testAlert()
	c.Suppress(erasedSet{a.CustomerID: true})
	require.NoError(t, c.Handle(context.Background(), a))
	assert.Empty(t, rcv.reqs, "nothing sent")
	assert.Equal(t, 1.0, testutil.ToFloat64(m.Skipped.WithLabelValues("crm", "erased")))
}
