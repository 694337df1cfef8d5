-- Sessions of a customer key (processor, issue 5). Upserted on every change:
-- read with FINAL (or argMax by version). See services/processor/internal/session.
CREATE TABLE IF NOT EXISTS {{.DB}}.sessions {{.OnCluster}}
(
    session_id       String,
    customer_key     String,
    customer_id      String,
    start            DateTime,
    start_ms         Int64,
    end_ms           Int64,
    duration_ms      Int64,
    event_count      UInt64,
    entry_touchpoint String,
    exit_touchpoint  String,
    channel          String,
    campaign         String,
    converted        UInt8,
    version          UInt64
)
ENGINE = {{engine "ReplacingMergeTree" "version"}}
PARTITION BY toYYYYMM(start)
ORDER BY (customer_key, session_id)
