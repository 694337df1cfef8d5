-- Audit log of GDPR requests (query service, issue 18): one row per export
-- and erasure, with the name of the token that made it (never its secret).
-- Kept after the erasure, like erasure_receipts: it names the customer id
-- erased, which is the proof of the request.
CREATE TABLE IF NOT EXISTS {{.DB}}.gdpr_audit {{.OnCluster}}
(
    audit_id     String,
    action       String,   -- export, erase
    outcome      String,   -- ok, refused, failed
    token_name   String,   -- CEM_QUERY_TOKENS entry name
    customer_id  String,   -- canonical customer (or the id asked for when unknown)
    receipt_id   String,   -- erasure_receipts.receipt_id of an erasure, else ''
    detail       String,   -- what was done or why it failed
    at           DateTime,
    at_ms        Int64
)
ENGINE = {{engine "MergeTree"}}
PARTITION BY toYYYYMM(at)
ORDER BY (at, audit_id)
