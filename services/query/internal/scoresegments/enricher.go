package scoresegments

import (
	"context"
	"fmt"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/cemhq/cem/services/query/internal/chstore"
	"github.com/cemhq/cem/services/query/internal/journey"
)

// Scores is the profile Enricher "scores": health, churn risk and reasons,
// experience, lifecycle, RFM, value tier, loyalty stage and the
// time-dependent states of the customer as of now (customer_current).
type Scores struct{ st *chstore.Store }

var _ journey.Enricher = (*Scores)(nil)

// NewScores returns the enricher over st.
func NewScores(st *chstore.Store) *Scores { return &Scores{st: st} }

// Name is "scores".
func (s *Scores) Name() string { return "scores" }

// Enrich returns the customer's current scores, nil when the scorer has not
// scored them yet.
func (s *Scores) Enrich(ctx context.Context, customer string, _ []string) (any, error) {
	var out map[string]any
	q := fmt.Sprintf(`SELECT computed_at, health, churn_risk, churn_reasons, experience, rfm_segment, value_tier, loyalty_stage,
 sleeper_now, days_since_activity, days_since_purchase, contract_ending_now, contract_ends_in_days, lifecycle_now, usual_gap_days
FROM %s.customer_current WHERE customer_id = ? LIMIT 1`, s.st.DB())
	err := s.st.Select(ctx, func(rows driver.Rows) error {
		var (
			computed                                 time.Time
			health, experience, gap                  float64
			risk, rfm, tier, loyalty, life           string
			reasons                                  []string
			sleeper, ending                          uint8
			sinceActivity, sincePurchase, endsInDays int64
		)
		if err := rows.Scan(&computed, &health, &risk, &reasons, &experience, &rfm, &tier, &loyalty,
			&sleeper, &sinceActivity, &sincePurchase, &ending, &endsInDays, &life, &gap); err != nil {
			return err
		}
		out = map[string]any{
			"computed_at": computed, "health": health, "churn_risk": risk, "churn_reasons": reasons, "experience": experience,
			"rfm_segment": rfm, "value_tier": tier, "loyalty_stage": loyalty, "sleeper": sleeper == 1,
			"days_since_activity": sinceActivity, "days_since_purchase": sincePurchase, "contract_ending": ending == 1,
			"contract_ends_in_days": endsInDays, "lifecycle": life, "usual_gap_days": gap,
		}
		return nil
	}, q, customer)
	if err != nil {
		return nil, fmt.Errorf("scores: %w", err)
	}
	if out == nil {
		return nil, nil
	}
	return out, nil
}
