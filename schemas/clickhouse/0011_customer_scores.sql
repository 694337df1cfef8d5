-- Current scores of every canonical customer (scores, issue 6), rewritten by
-- the scorer on every run. Read with FINAL. Time-dependent states are stored
-- as deadlines (*_at_ms, 0 = none) so that readers evaluate them against
-- their own clock: see the customer_current view (0015).
CREATE TABLE IF NOT EXISTS {{.DB}}.customer_scores {{.OnCluster}}
(
    customer_id           String,
    computed_at           DateTime,
    computed_ms           Int64,
    experience            Float64,            -- 0-100, 50 neutral
    experience_signals    UInt32,
    experience_top        String,             -- JSON [{signal,count,points,last}]
    health                Float64,            -- 0-100
    churn_risk            String,             -- low | medium | high
    churn_factors         Array(String),
    churn_reasons         Array(String),
    sleeper               UInt8,
    sleeper_at_ms         Int64,
    usual_gap_days        Float64,
    active_days           UInt32,
    last_activity_ms      Int64,
    last_order_ms         Int64,
    last_negative         String,             -- JSON {signal,at,detail} or ''
    lifecycle             String,             -- new | returning | resurrecting | dormant | churned
    lifecycle_reason      String,
    lifecycle_until_ms    Int64,
    dormant_at_ms         Int64,
    churned_at_ms         Int64,
    contract_ending_at_ms Int64,
    contract_end_ms       Int64,
    contract_cancelled    UInt8,
    rfm_r                 UInt8,
    rfm_f                 UInt8,
    rfm_m                 UInt8,
    rfm_segment           String,
    value_tier            String,
    loyalty_stage         String,             -- unbound | satisfied | enthusiastic | advocate
    loyalty_evidence      Array(String),
    nps_latest            Nullable(Float64),
    nps_trend             Nullable(Float64),
    csat_latest           Nullable(Float64),
    csat_trend            Nullable(Float64),
    ces_latest            Nullable(Float64),
    ces_trend             Nullable(Float64),
    result                String,             -- JSON, scores.Result without the profile
    version               UInt64
)
ENGINE = {{engine "ReplacingMergeTree" "version"}}
ORDER BY customer_id
