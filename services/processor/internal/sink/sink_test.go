package sink

import (
	"context"
	"errors"
	"testing"
	"time"

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

func TestBackoff(t *testing.T) {
	b := Backoff{Initial: 100 * time.Millisecond, Max: 300 * time.Millisecond}
	var got []time.Duration
	var d time.Duration
	for range 4 {
		d = b.next(d)
		got = append(got, d)
	}
	assert.Equal(t, []time.Duration{100 * time.Millisecond, 200 * time.Millisecond, 300 * time.Millisecond, 300 * time.Millisecond}, got)
}

func TestBlockCheck(t *testing.T) {
	ok := Block{Table: "t", Columns: []string{"a", "b"}, Data: []any{[]string{"x"}, []int64{1}}, Rows: 1}
	require.NoError(t, ok.Check())
	assert.Equal(t, "INSERT INTO db.t (a, b)", ok.insertSQL("db"))
	assert.Error(t, Block{Table: "t", Columns: []string{"a"}, Data: []any{[]string{"x"}, []int64{1}}, Rows: 1}.Check())
	assert.Error(t, Block{Table: "t", Columns: []string{"a"}, Data: []any{[]string{"x", "y"}}, Rows: 1}.Check())
	assert.Error(t, Block{Table: "t", Columns: []string{"a"}, Data: []any{"x"}, Rows: 1}.Check())
}
