package dlq

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"slices"
	"text/tabwriter"
	"time"
)

// Group is the records of one stage, reason and source.
type Group struct {
	Stage, Reason, Source string
	Count                 int
	First, Last           time.Time
	// Error is the error of the group's latest record.
	Error string
}

// Summarize groups the selected records from the offsets in from to the
// end, largest group first.
func Summarize(ctx context.Context, t Topic, fl Filter, from Offsets) ([]Group, int, error) {
	groups := map[[3]string]*Group{}
	var invalid int
	err := t.Scan(ctx, from, func(rec Record) error {
		if rec.Err != nil {
			invalid++
			return nil
		}
		f := rec.Failure
		if !fl.Match(f) {
			return nil
		}
		k := [3]string{f.Stage, string(f.Reason), f.Source}
		g := groups[k]
		if g == nil {
			g = &Group{Stage: k[0], Reason: k[1], Source: k[2], First: f.At}
			groups[k] = g
		}
		g.Count++
		g.First = minTime(g.First, f.At)
		if !f.At.Before(g.Last) {
			g.Last, g.Error = f.At, f.Error
		}
		return nil
	}, func(int, int64) error { return nil })
	out := make([]Group, 0, len(groups))
	for _, g := range groups {
		out = append(out, *g)
	}
	slices.SortFunc(out, func(a, b Group) int {
		return cmp.Or(b.Count-a.Count, cmp.Compare(a.Stage, b.Stage), cmp.Compare(a.Reason, b.Reason), cmp.Compare(a.Source, b.Source))
	})
	return out, invalid, err
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

// WriteSummary prints groups as a table.
func WriteSummary(w io.Writer, groups []Group) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "COUNT\tSTAGE\tREASON\tSOURCE\tFIRST\tLAST\tLATEST ERROR")
	for _, g := range groups {
		msg := g.Error
		if len(msg) > 100 {
			msg = msg[:100] + "..."
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\n", g.Count, g.Stage, g.Reason, g.Source,
			g.First.UTC().Format(time.RFC3339), g.Last.UTC().Format(time.RFC3339), msg)
	}
	return tw.Flush()
}
