package alerts

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/cemhq/cem/services/query/internal/apierr"
)

// Case states. An alert without a change is open.
const (
	StateOpen      = "open"
	StateAssigned  = "assigned"
	StateContacted = "contacted"
	StateResolved  = "resolved"
	StateDismissed = "dismissed"
)

// States are every case state, in workflow order.
var States = []string{StateOpen, StateAssigned, StateContacted, StateResolved, StateDismissed}

// next are the states a case may move to from each state. A change may
// also keep the state and only set the owner (not on a closed case) or add
// a note (always).
var next = map[string][]string{
	StateOpen:      {StateAssigned, StateContacted, StateResolved, StateDismissed},
	StateAssigned:  {StateContacted, StateResolved, StateDismissed},
	StateContacted: {StateResolved, StateDismissed},
	StateResolved:  {StateOpen},
	StateDismissed: {StateOpen},
}

// Closed reports whether state ends a case.
func Closed(state string) bool { return state == StateResolved || state == StateDismissed }

// Change is a requested change of a case: a new state, a new owner, a
// note; at least one.
type Change struct {
	State string `json:"state,omitempty"`
	Owner string `json:"owner,omitempty"`
	Note  string `json:"note,omitempty"`
}

// CaseChange is one stored change.
type CaseChange struct {
	State string `json:"state"`
	Owner string `json:"owner"`
	Note  string `json:"note"`
	Actor string `json:"actor"`
	AtMs  int64  `json:"at_ms"`
}

// apply validates c against the case's current state and owner and returns
// the state and owner after it.
func apply(state, owner string, c Change) (string, string, error) {
	c.Owner = strings.TrimSpace(c.Owner)
	if c.State == "" && c.Owner == "" && strings.TrimSpace(c.Note) == "" {
		return "", "", apierr.BadParam("body", "a change needs a state, an owner or a note")
	}
	if len(c.Note) > 4000 || len(c.Owner) > 200 {
		return "", "", apierr.BadParam("body", "note is limited to 4000 bytes and owner to 200")
	}
	newState, newOwner := state, owner
	if c.Owner != "" {
		if Closed(state) && c.State == "" {
			return "", "", apierr.BadParam("owner", "the case is %s; reopen it first", state)
		}
		newOwner = c.Owner
	}
	if c.State != "" && c.State != state {
		if !slices.Contains(States, c.State) {
			return "", "", apierr.BadParam("state", "must be one of %s", strings.Join(States, ", "))
		}
		if !slices.Contains(next[state], c.State) {
			return "", "", &apierr.Error{Status: 409, Code: "invalid_transition",
				Message: fmt.Sprintf("a %s case cannot become %s (allowed: %s)", state, c.State, strings.Join(next[state], ", "))}
		}
		newState = c.State
	}
	if newState == StateAssigned && newOwner == "" {
		return "", "", apierr.BadParam("owner", "an assigned case needs an owner")
	}
	if c.Owner != "" && newState == StateOpen {
		newState = StateAssigned // giving an open case an owner assigns it
	}
	return newState, newOwner, nil
}

// caseAgg aggregates alert_case_changes per alert: current state and owner,
// the first contact and the first resolution.
func (r *Reader) caseAgg() string {
	return fmt.Sprintf(`(SELECT alert_id, argMax(state, at_ms) AS case_state, argMax(owner, at_ms) AS case_owner,
  minIf(at_ms, state = 'contacted') AS contacted_ms, minIf(at_ms, state = 'resolved') AS resolved_ms,
  max(at_ms) AS changed_ms
FROM %s.alert_case_changes FINAL GROUP BY alert_id)`, r.st.DB())
}

// Case returns the alert id with its case and every change, oldest first;
// apierr NotFound when there is no such alert.
func (r *Reader) Case(ctx context.Context, id string) (Alert, []CaseChange, error) {
	list, err := r.list(ctx, []string{"alert_id = ?"}, []any{id}, 1)
	if err != nil {
		return Alert{}, nil, err
	}
	if len(list) == 0 {
		return Alert{}, nil, apierr.NotFound("no such alert")
	}
	changes := []CaseChange{}
	err = r.st.Select(ctx, func(rows driver.Rows) error {
		var c CaseChange
		if err := rows.Scan(&c.State, &c.Owner, &c.Note, &c.Actor, &c.AtMs); err != nil {
			return err
		}
		changes = append(changes, c)
		return nil
	}, fmt.Sprintf(`SELECT state, owner, note, actor, at_ms FROM %s.alert_case_changes FINAL WHERE alert_id = ? ORDER BY at_ms`, r.st.DB()), id)
	return list[0], changes, err
}

// Update applies c to the case of alert id as actor and returns the case
// after it. Concurrent updates of one case are not serialised: each is
// validated against the state it read (the later write wins).
func (r *Reader) Update(ctx context.Context, id string, c Change, actor string) (Alert, []CaseChange, error) {
	a, changes, err := r.Case(ctx, id)
	if err != nil {
		return Alert{}, nil, err
	}
	state, owner, err := apply(a.State, a.Owner, c)
	if err != nil {
		return Alert{}, nil, err
	}
	at := time.Now().UnixMilli()
	if n := len(changes); n > 0 && at <= changes[n-1].AtMs {
		at = changes[n-1].AtMs + 1
	}
	var rnd [8]byte
	_, _ = rand.Read(rnd[:])
	b, err := r.st.Conn().PrepareBatch(ctx, "INSERT INTO "+r.st.DB()+".alert_case_changes (change_id, alert_id, customer_id, reason, state, owner, note, actor, at, at_ms, version)")
	if err != nil {
		return Alert{}, nil, fmt.Errorf("store case change: %w", err)
	}
	defer func() { _ = b.Abort() }()
	if err := b.Append(hex.EncodeToString(rnd[:]), id, a.CustomerID, a.Reason, state, owner, strings.TrimSpace(c.Note), actor,
		time.UnixMilli(at).UTC().Truncate(time.Second), at, uint64(at)); err != nil {
		return Alert{}, nil, fmt.Errorf("store case change: %w", err)
	}
	if err := b.Send(); err != nil {
		return Alert{}, nil, fmt.Errorf("store case change: %w", err)
	}
	return r.Case(ctx, id)
}
