package httpapi

import (
	"math"
	"testing"
)

func TestCSVCell(t *testing.T) {
	for _, tc := range []struct {
		v    any
		want string
	}{
		{int64(-1), "-1"},
		{int32(-7), "-7"},
		{uint8(1), "1"},
		{-42.5, "-42.5"},
		{1e21, "1000000000000000000000"},
		{math.Copysign(0, -1), "-0"},
		{true, "true"},
		{nil, ""},
		{"=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"},
		{"+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"},
		{"-2+3", "'-2+3"},
		{"@SUM(A1)", "'@SUM(A1)"},
		{"\tx", "'\tx"},
		{"\rx", "'\rx"},
		{"plain", "plain"},
		{[]string{"=1+1", "b"}, "'=1+1; b"},
		{[]string{"a", "=1+1"}, "a; =1+1"},
	} {
		if got := csvCell(tc.v); got != tc.want {
			t.Errorf("csvCell(%#v) = %q, want %q", tc.v, got, tc.want)
		}
	}
}
