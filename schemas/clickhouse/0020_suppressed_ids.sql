-- Ids whose data was erased on request (GDPR; query service, issue 7). The
-- collector drops events from an active id and the processor skips them:
--   SELECT id FROM suppressed_ids FINAL WHERE id IN (...) AND active = 1
-- active = 0 (a newer version) lifts a suppression. Replacing on id.
CREATE TABLE IF NOT EXISTS {{.DB}}.suppressed_ids {{.OnCluster}}
(
    id            String,
    customer_id   String,   -- the canonical customer the id belonged to
    suppressed_at DateTime,
    reason        String,   -- e.g. gdpr_erasure
    receipt_id    String,   -- erasure_receipts.receipt_id
    active        UInt8,
    version       UInt64
)
ENGINE = {{engine "ReplacingMergeTree" "version"}}
ORDER BY id
