package funnel

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestValidate(t *testing.T) {
	two := []Step{{Event: "a"}, {Event: "b"}}
	for _, tc := range []struct {
		name string
		req  Request
		want string
	}{
		{"one step", Request{Steps: two[:1]}, "steps"},
		{"empty event", Request{Steps: []Step{{Event: " "}, {Event: "b"}}}, "steps[0].event"},
		{"bad op", Request{Steps: []Step{{Event: "a", Where: []Filter{{Property: "p", Op: "like", Value: "x"}}}, {Event: "b"}}}, "op"},
		{"gt string", Request{Steps: []Step{{Event: "a", Where: []Filter{{Property: "p", Op: "gt", Value: "x"}}}, {Event: "b"}}}, "must be a number"},
		{"huge number", Request{Steps: []Step{{Event: "a", Where: []Filter{{Property: "p", Op: "eq", Value: 1e300}}}, {Event: "b"}}}, "magnitude"},
		{"negative window", Request{Steps: two, WindowSeconds: -1}, "window_seconds"},
		{"bad breakdown", Request{Steps: two, Breakdown: "channel; DROP"}, "breakdown"},
		{"dropoff at last step", Request{Steps: two, Dropoff: &DropoffRequest{Step: 2}}, "dropoff.step"},
		{"range reversed", Request{Steps: two, FromMs: 10, ToMs: 5}, "to_ms"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.req.Validate(100)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
	ok := Request{Steps: two, Dropoff: &DropoffRequest{Step: 1}}
	require.NoError(t, ok.Validate(100))
	assert.Equal(t, int64(7*24*3600), ok.WindowSeconds, "default window")
	assert.Equal(t, 100, ok.Dropoff.Limit, "default drop-off page")
}

func TestConditionsBindEveryValue(t *testing.T) {
	s := Step{Event: "x' OR 1=1", Where: []Filter{
		{Property: "p'", Op: "eq", Value: "v'"}, {Property: "n", Op: "gte", Value: 2.5},
		{Property: "c", Op: "contains", Value: "needle"}, {Property: "e", Op: "exists"},
	}}
	sql, args := s.cond()
	assert.NotContains(t, sql, "x' OR")
	assert.NotContains(t, sql, "needle")
	assert.Equal(t, strings.Count(sql, "?"), len(args))
	assert.Equal(t, []any{"x' OR 1=1", "p'", "v'", "n", 2.5, "c", "needle", "e"}, args)
}

func TestStrictLevelShape(t *testing.T) {
	e := strictLevel(3, 60)
	assert.True(t, strings.HasPrefix(e, "multiIf(arrayExists((m0, m1, m2, t0, tk) -> m0 = 1 AND m1 = 2 AND m2 = 3 AND tk - t0 <= 60"), e)
	assert.True(t, strings.HasSuffix(e, ", 2, has(m, 1), 1, 0)"), e)
}
