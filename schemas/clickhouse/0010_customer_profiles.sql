-- Customer 360 (scores, issue 6): the current profile of every canonical
-- customer, rewritten by the scorer on every run. Read with FINAL (or
-- argMax by version). profile holds the full JSON (scores.Profile); the
-- other columns are there to filter and sort without parsing it.
CREATE TABLE IF NOT EXISTS {{.DB}}.customer_profiles {{.OnCluster}}
(
    customer_id         String,
    computed_at         DateTime,
    computed_ms         Int64,
    ids                 Array(String),
    first_seen_ms       Int64,
    last_seen_ms        Int64,
    events              UInt64,
    sessions            UInt64,
    orders              UInt64,
    revenue             Float64,
    avg_order_value     Float64,
    last_order_ms       Int64,
    open_tickets        UInt32,
    resolved_tickets    UInt32,
    active_contracts    UInt32,
    loyalty_program     String,
    loyalty_tier        String,
    loyalty_points      Float64,
    referrals_sent      UInt32,
    referrals_converted UInt32,
    surveys_answered    UInt32,
    feedback_given      UInt32,
    nps_latest          Nullable(Float64),
    csat_latest         Nullable(Float64),
    ces_latest          Nullable(Float64),
    profile             String,   -- JSON, scores.Profile
    version             UInt64
)
ENGINE = {{engine "ReplacingMergeTree" "version"}}
ORDER BY customer_id
