package servicelevel

import (
	"context"
	"fmt"
	"math"
	"strings"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/cemhq/cem/pkg/eventsql"
	"github.com/cemhq/cem/services/query/internal/apierr"
)

// Querier runs read queries (chstore.Store).
type Querier interface {
	DB() string
	Select(ctx context.Context, scan func(driver.Rows) error, query string, args ...any) error
}

// Query selects the tickets opened in [FromMs, ToMs) (0 = open).
type Query struct {
	FromMs, ToMs int64
}

// Validate checks q.
func (q *Query) Validate() error {
	if q.FromMs < 0 || q.ToMs < 0 || (q.ToMs != 0 && q.ToMs <= q.FromMs) {
		return apierr.BadParam("to", "the range must be non-negative and end after it starts")
	}
	return nil
}

// Channel is the service level of one channel.
type Channel struct {
	Channel  string `json:"channel"`
	Opened   uint64 `json:"opened"`
	Replied  uint64 `json:"replied"`
	Resolved uint64 `json:"resolved"`
	// Unresolved tickets have no resolution yet.
	Unresolved uint64 `json:"unresolved"`
	// Seconds; nil when no ticket has a reply (resolution).
	MedianResponseSeconds   *float64 `json:"median_response_seconds"`
	P90ResponseSeconds      *float64 `json:"p90_response_seconds"`
	MedianResolutionSeconds *float64 `json:"median_resolution_seconds"`
	P90ResolutionSeconds    *float64 `json:"p90_resolution_seconds"`
	TargetResponseSeconds   float64  `json:"target_response_seconds"`
	TargetResolutionSeconds float64  `json:"target_resolution_seconds"`
	// Share of opened tickets answered (resolved) within the target.
	ResponseWithinTarget   float64 `json:"response_within_target"`
	ResolutionWithinTarget float64 `json:"resolution_within_target"`
}

// Report holds the service level of every channel with tickets.
type Report struct {
	Channels []Channel `json:"channels"`
}

// Reporter computes service levels.
type Reporter struct {
	q       Querier
	targets Targets
}

// New returns a Reporter with the given targets.
func New(q Querier, targets Targets) *Reporter {
	if targets == nil {
		targets = DefaultTargets()
	}
	return &Reporter{q: q, targets: targets}
}

// Run computes the report of q (validated).
func (r *Reporter) Run(ctx context.Context, q Query) (*Report, error) {
	var having []string
	var args []any
	chans, resp, res := r.targetArrays()
	args = append(args, chans, resp, r.targets.For("*").Response.Milliseconds(), chans, res, r.targets.For("*").Resolution.Milliseconds())
	if q.FromMs > 0 {
		having, args = append(having, "opened >= ?"), append(args, q.FromMs)
	}
	if q.ToMs > 0 {
		having, args = append(having, "opened < ?"), append(args, q.ToMs)
	}
	hv := "n_opened > 0"
	if len(having) > 0 {
		hv += " AND " + strings.Join(having, " AND ")
	}
	sql := fmt.Sprintf(`SELECT ch, count(), countIf(replied > 0), countIf(resolved > 0), countIf(resolved = 0),
 quantileExactIf(0.5)((replied - opened) / 1000, replied > 0), quantileExactIf(0.9)((replied - opened) / 1000, replied > 0),
 quantileExactIf(0.5)((resolved - opened) / 1000, resolved > 0), quantileExactIf(0.9)((resolved - opened) / 1000, resolved > 0),
 countIf(replied > 0 AND replied - opened <= transform(ch, ?, ?, ?)),
 countIf(resolved > 0 AND resolved - opened <= transform(ch, ?, ?, ?))
FROM (
 SELECT ticket_id, ch, opened,
  arrayReduce('min', arrayFilter(x -> x >= opened, rep)) AS replied,
  arrayReduce('min', arrayFilter(x -> x >= opened, resv)) AS resolved FROM (
  SELECT ticket_id,
   multiIf(argMinIf(ticket_channel, ts_ms, event = 'Ticket Opened') != '', argMinIf(ticket_channel, ts_ms, event = 'Ticket Opened'),
      anyIf(ticket_channel, ticket_channel != '') != '', anyIf(ticket_channel, ticket_channel != ''),
      argMinIf(channel, ts_ms, event = 'Ticket Opened')) AS ch,
   minIf(ts_ms, event = 'Ticket Opened') AS opened, countIf(event = 'Ticket Opened') AS n_opened,
   groupArrayIf(ts_ms, event = 'Ticket Replied') AS rep, groupArrayIf(ts_ms, event = 'Ticket Resolved') AS resv
  FROM %s
  GROUP BY ticket_id HAVING %s))
GROUP BY ch ORDER BY ch`, eventsql.Source(r.q.DB(), eventsql.Query{Cols: []string{"ticket_id", "ticket_channel", "channel", "event", "ts_ms"},
		Match: "ticket_id != '' AND event IN ('Ticket Opened', 'Ticket Replied', 'Ticket Resolved')"}), hv)
	rep := &Report{Channels: []Channel{}}
	err := r.q.Select(ctx, func(rows driver.Rows) error {
		var c Channel
		var q [4]float64
		var inResp, inRes uint64
		if err := rows.Scan(&c.Channel, &c.Opened, &c.Replied, &c.Resolved, &c.Unresolved, &q[0], &q[1], &q[2], &q[3], &inResp, &inRes); err != nil {
			return err
		}
		t := r.targets.For(c.Channel)
		c.TargetResponseSeconds, c.TargetResolutionSeconds = t.Response.Seconds(), t.Resolution.Seconds()
		if c.Replied > 0 {
			c.MedianResponseSeconds, c.P90ResponseSeconds = finite(q[0]), finite(q[1])
		}
		if c.Resolved > 0 {
			c.MedianResolutionSeconds, c.P90ResolutionSeconds = finite(q[2]), finite(q[3])
		}
		if c.Opened > 0 {
			c.ResponseWithinTarget = float64(inResp) / float64(c.Opened)
			c.ResolutionWithinTarget = float64(inRes) / float64(c.Opened)
		}
		rep.Channels = append(rep.Channels, c)
		return nil
	}, sql, args...)
	if err != nil {
		return nil, fmt.Errorf("service levels: %w", err)
	}
	return rep, nil
}

func (r *Reporter) targetArrays() (chans []string, resp, res []int64) {
	for ch, t := range r.targets {
		if ch == "*" {
			continue
		}
		chans = append(chans, ch)
		resp = append(resp, t.Response.Milliseconds())
		res = append(res, t.Resolution.Milliseconds())
	}
	if len(chans) == 0 { // transform needs non-empty arrays
		chans, resp, res = []string{"*"}, []int64{r.targets.For("*").Response.Milliseconds()}, []int64{r.targets.For("*").Resolution.Milliseconds()}
	}
	return chans, resp, res
}

func finite(v float64) *float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return nil
	}
	return &v
}
