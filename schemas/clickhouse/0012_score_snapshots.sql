-- Daily history of every customer's scores (scores, issue 6): one row per
-- (day, customer_id), never overwritten. The scorer inserts a row only when
-- the day has none, and keep = 2^64-1 - taken_at in nanoseconds makes
-- ReplacingMergeTree keep the FIRST row of a day even if two scorers race.
-- Read with FINAL.
CREATE TABLE IF NOT EXISTS {{.DB}}.score_snapshots {{.OnCluster}}
(
    day           Date,
    customer_id   String,
    taken_at      DateTime,
    health        Float64,
    churn_risk    String,
    churn_reasons Array(String),
    experience    Float64,
    lifecycle     String,
    sleeper       UInt8,
    rfm_segment   String,
    loyalty_stage String,
    nps_latest    Nullable(Float64),
    keep          UInt64
)
ENGINE = {{engine "ReplacingMergeTree" "keep"}}
PARTITION BY toYYYYMM(day)
ORDER BY (day, customer_id)
