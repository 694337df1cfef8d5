package sink

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRetry(t *testing.T) {
	calls := 0
	var attempts []int
	err := Retry(context.Background(), Backoff{Initial: time.Millisecond, Max: 2 * time.Millisecond}, func(context.Context) error {
		calls++
		if calls < 4 {
			return errors.New("down")
		}
		return nil
	}, func(_ error, attempt int) { attempts = append(attempts, attempt) })
	require.NoError(t, err)
	assert.Equal(t, 4, calls)
	assert.Equal(t, []int{1, 2, 3}, attempts)

	ctx, cancel := context.WithCancel(context.Background())
	err = Retry(ctx, Backoff{Initial: time.Millisecond}, func(context.Context) error {
		cancel()
		return errors.New("down")
	}, nil)
	assert.ErrorIs(t, err, context.Canceled, "gives up only when ctx ends")
}

func TestRetryStopsOnPermanent(t *testing.T) {
	calls := 0
	bad := errors.New("syntax error")
	err := Retry(context.Background(), Backoff{Initial: time.Millisecond}, func(context.Context) error {
		calls++
		if calls < 3 {
			return errors.New("down")
		}
		return fmt.Errorf("insert: %w", Permanent(bad))
	}, nil)
	assert.Equal(t, 3, calls, "transient errors are retried, the permanent one is not")
	assert.True(t, IsPermanent(err))
	assert.ErrorIs(t, err, bad)
}

func TestClassify(t *testing.T) {
	syntax := &clickhouse.Exception{Code: 62, Message: "Syntax error"}
	tooManyParts := &clickhouse.Exception{Code: 252, Message: "Too many parts"}
	assert.True(t, IsPermanent(Classify(fmt.Errorf("send: %w", syntax))))
	assert.False(t, IsPermanent(Classify(fmt.Errorf("send: %w", tooManyParts))), "overload is waited out")
	assert.False(t, IsPermanent(Classify(errors.New("dial tcp: connection refused"))))
	assert.NoError(t, Classify(nil))
}

func TestBlockCheck(t *testing.T) {
	ok := Block{Table: "t", Columns: []string{"a", "b"}, Data: []any{[]string{"x"}, []int64{1}}, Rows: 1}
	require.NoError(t, ok.Check())
	assert.Error(t, Block{Table: "t", Columns: []string{"a"}, Data: []any{[]string{"x"}, []int64{1}}, Rows: 1}.Check())
	assert.Error(t, Block{Table: "t", Columns: []string{"a"}, Data: []any{[]string{"x", "y"}}, Rows: 1}.Check())
	assert.Error(t, Block{Table: "t", Columns: []string{"a"}, Data: []any{"x"}, Rows: 1}.Check())
}
