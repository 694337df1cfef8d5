package funnel

import (
	"fmt"
	"math"
	"strings"
	"unicode/utf8"

	"github.com/cemhq/cem/services/query/internal/apierr"
	"github.com/cemhq/cem/services/query/internal/chstore"
)

// Limits of a funnel request.
const (
	MinSteps        = 2
	MaxSteps        = 10
	MaxFilters      = 5
	MaxWindowSecond = 366 * 24 * 3600
	maxText         = 256
)

// Request is a funnel definition, the JSON body of POST /api/v1/funnels.
type Request struct {
	// Steps are the ordered steps, 2 to 10.
	Steps []Step `json:"steps"`
	// WindowSeconds is the conversion window. Default 7 days.
	WindowSeconds int64 `json:"window_seconds"`
	// Strict requires each step to be the customer's next event.
	Strict bool `json:"strict"`
	// FromMs and ToMs bound event time [from, to) in epoch ms; 0 = open.
	FromMs int64 `json:"from_ms"`
	ToMs   int64 `json:"to_ms"`
	// Breakdown splits the funnel by the first step's channel, source or
	// campaign; empty for none.
	Breakdown string `json:"breakdown"`
	// Dropoff, when set, lists the customers who reached step Dropoff.Step
	// but not the next one.
	Dropoff *DropoffRequest `json:"dropoff,omitempty"`
}

// Step is one funnel step.
type Step struct {
	// Event is the step name: the track event name, or "page:Name".
	Event string `json:"event"`
	// Where are property filters, all of which must hold.
	Where []Filter `json:"where,omitempty"`
}

// Filter tests one property of the event's properties JSON.
type Filter struct {
	Property string `json:"property"`
	// Op is eq, neq, contains, gt, gte, lt, lte or exists.
	Op string `json:"op"`
	// Value is a string or a number (numbers compare numerically).
	Value any `json:"value"`
}

// DropoffRequest pages the customers who stopped at a step.
type DropoffRequest struct {
	// Step is 1-based; customers reached it but not the next step.
	Step int `json:"step"`
	// Limit is the page size. Default 100.
	Limit int `json:"limit"`
	// After is the last customer id of the previous page.
	After string `json:"after"`
}

// breakdowns maps a breakdown name to its events column.
var breakdowns = map[string]string{"channel": "channel", "source": "source", "campaign": "campaign_name"}

// Validate checks r and fills defaults; maxRows caps the drop-off page.
func (r *Request) Validate(maxRows int) error {
	if len(r.Steps) < MinSteps || len(r.Steps) > MaxSteps {
		return apierr.BadParam("steps", "need %d to %d steps", MinSteps, MaxSteps)
	}
	for i, s := range r.Steps {
		if err := checkText(fmt.Sprintf("steps[%d].event", i), s.Event); err != nil {
			return err
		}
		if len(s.Where) > MaxFilters {
			return apierr.BadParam(fmt.Sprintf("steps[%d].where", i), "at most %d filters", MaxFilters)
		}
		for j, f := range s.Where {
			if err := f.validate(fmt.Sprintf("steps[%d].where[%d]", i, j)); err != nil {
				return err
			}
		}
	}
	if r.WindowSeconds == 0 {
		r.WindowSeconds = 7 * 24 * 3600
	}
	if r.WindowSeconds < 1 || r.WindowSeconds > MaxWindowSecond {
		return apierr.BadParam("window_seconds", "must be between 1 and %d", MaxWindowSecond)
	}
	if r.FromMs < 0 || r.ToMs < 0 || (r.ToMs != 0 && r.ToMs <= r.FromMs) {
		return apierr.BadParam("to_ms", "the range must be non-negative and end after it starts")
	}
	if _, ok := breakdowns[r.Breakdown]; r.Breakdown != "" && !ok {
		return apierr.BadParam("breakdown", "must be channel, source or campaign")
	}
	if d := r.Dropoff; d != nil {
		if d.Step < 1 || d.Step >= len(r.Steps) {
			return apierr.BadParam("dropoff.step", "must be between 1 and %d", len(r.Steps)-1)
		}
		if d.Limit == 0 {
			d.Limit = 100
		}
		if d.Limit < 1 || d.Limit > maxRows {
			return apierr.BadParam("dropoff.limit", "must be between 1 and %d", maxRows)
		}
		if len(d.After) > 1024 || !utf8.ValidString(d.After) {
			return apierr.BadParam("dropoff.after", "invalid")
		}
	}
	return nil
}

func checkText(param, s string) error {
	if strings.TrimSpace(s) == "" {
		return apierr.BadParam(param, "must not be empty")
	}
	if len(s) > maxText || !utf8.ValidString(s) {
		return apierr.BadParam(param, "must be valid UTF-8 of at most %d bytes", maxText)
	}
	return nil
}

func (f Filter) validate(param string) error {
	if err := checkText(param+".property", f.Property); err != nil {
		return err
	}
	switch f.Op {
	case "exists":
		return nil
	case "eq", "neq":
		switch v := f.Value.(type) {
		case float64:
			return checkNumber(param+".value", v)
		case string:
			if len(v) > maxText || !utf8.ValidString(v) {
				return apierr.BadParam(param+".value", "must be valid UTF-8 of at most %d bytes", maxText)
			}
			return nil
		}
		return apierr.BadParam(param+".value", "must be a string or a number")
	case "contains":
		if v, ok := f.Value.(string); !ok || v == "" || len(v) > maxText || !utf8.ValidString(v) {
			return apierr.BadParam(param+".value", "must be a non-empty string")
		}
		return nil
	case "gt", "gte", "lt", "lte":
		v, ok := f.Value.(float64)
		if !ok {
			return apierr.BadParam(param+".value", "must be a number")
		}
		return checkNumber(param+".value", v)
	}
	return apierr.BadParam(param+".op", "must be eq, neq, contains, gt, gte, lt, lte or exists")
}

// cond returns the SQL condition of a step and its arguments.
func (s Step) cond() (string, []any) {
	parts := []string{chstore.StepExpr + " = ?"}
	args := []any{s.Event}
	for _, f := range s.Where {
		sql, a := f.cond()
		parts = append(parts, sql)
		args = append(args, a...)
	}
	return "(" + strings.Join(parts, " AND ") + ")", args
}

var numOps = map[string]string{"eq": "=", "neq": "!=", "gt": ">", "gte": ">=", "lt": "<", "lte": "<="}

func (f Filter) cond() (string, []any) {
	switch f.Op {
	case "exists":
		return "visitParamHas(properties, ?)", []any{f.Property}
	case "contains":
		return "positionCaseInsensitiveUTF8(visitParamExtractString(properties, ?), ?) > 0", []any{f.Property, f.Value}
	}
	op := numOps[f.Op]
	if v, ok := f.Value.(string); ok {
		return "visitParamExtractString(properties, ?) " + op + " ?", []any{f.Property, v}
	}
	return "visitParamExtractFloat(properties, ?) " + op + " ?", []any{f.Property, f.Value}
}

// MaxNumber bounds numeric filter values; non-zero magnitudes below
// MinNumber are rejected too (ClickHouse does not parse denormal literals).
const (
	MaxNumber = 1e15
	MinNumber = 1e-9
)

func checkNumber(param string, v float64) error {
	if a := math.Abs(v); a > MaxNumber || (a != 0 && a < MinNumber) {
		return apierr.BadParam(param, "numbers must be 0 or have a magnitude between %g and %g", MinNumber, MaxNumber)
	}
	return nil
}
