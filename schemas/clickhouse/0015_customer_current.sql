-- Scores as of the moment of the query (scores, issue 6). customer_scores is
-- as of the scorer's last run (CEM_SCORES_INTERVAL, default 15m); the
-- time-dependent states here are evaluated against now() from the stored
-- deadlines, so a customer who sends nothing becomes a sleeper, dormant or
-- churned, or enters the contract-ending window exactly when the deadline
-- passes. Health and churn risk stay as of computed_at (at most one scorer
-- interval old).
CREATE VIEW IF NOT EXISTS {{.DB}}.customer_current {{.OnCluster}} AS
SELECT
    customer_id, computed_at, health, churn_risk, churn_reasons, experience, rfm_segment, value_tier, loyalty_stage,
    nps_latest, csat_latest, ces_latest, usual_gap_days, last_negative,
    toUInt8(sleeper_at_ms > 0 AND now_ms >= sleeper_at_ms) AS sleeper_now,
    if(last_activity_ms > 0, intDiv(now_ms - last_activity_ms, 86400000), -1) AS days_since_activity,
    if(last_order_ms > 0, intDiv(now_ms - last_order_ms, 86400000), -1) AS days_since_purchase,
    toUInt8(contract_ending_at_ms > 0 AND now_ms >= contract_ending_at_ms AND now_ms < contract_end_ms) AS contract_ending_now,
    if(contract_end_ms > 0, intDiv(contract_end_ms - now_ms, 86400000), -1) AS contract_ends_in_days,
    multiIf(lifecycle = 'churned', 'churned',
            churned_at_ms > 0 AND now_ms >= churned_at_ms, 'churned',
            dormant_at_ms > 0 AND now_ms >= dormant_at_ms, 'dormant',
            lifecycle_until_ms > 0 AND now_ms >= lifecycle_until_ms, 'returning',
            lifecycle) AS lifecycle_now
FROM
(
    SELECT *, toInt64(toUnixTimestamp(now())) * 1000 AS now_ms
    FROM {{.DB}}.customer_scores FINAL
)
