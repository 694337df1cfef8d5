-- One row per completed GDPR erasure (query service, issue 7): which ids,
-- which tables and how many rows were deleted, when. Holds no personal data
-- beyond the ids themselves, which the suppression needs anyway.
CREATE TABLE IF NOT EXISTS {{.DB}}.erasure_receipts {{.OnCluster}}
(
    receipt_id     String,
    customer_id    String,
    ids            Array(String),
    requested_at   DateTime,
    completed_at   DateTime,
    deleted_tables String,   -- JSON: [{"table":..,"rows":..}]
    version        UInt64
)
ENGINE = {{engine "ReplacingMergeTree" "version"}}
ORDER BY receipt_id
