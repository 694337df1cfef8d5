-- Closed-loop alerts (scores, issue 6): detractor answers, complaints and
-- changes to high churn risk, at most one per customer and reason within the
-- cool-down. Also produced to Kafka cem.alerts keyed by customer_id.
-- alert_id = reason:customer:trigger is stable, so a re-run stores it once.
CREATE TABLE IF NOT EXISTS {{.DB}}.alerts {{.OnCluster}}
(
    alert_id    String,
    customer_id String,
    reason      String,   -- detractor | complaint | churn_high
    severity    String,
    message     String,
    action      String,   -- suggested action
    details     Array(String),
    trigger_id  String,
    trigger_ms  Int64,
    raised_at   DateTime,
    raised_ms   Int64,
    version     UInt64
)
ENGINE = {{engine "ReplacingMergeTree" "version"}}
PARTITION BY toYYYYMM(raised_at)
ORDER BY (customer_id, reason, alert_id)
