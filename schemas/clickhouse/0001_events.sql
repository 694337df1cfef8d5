-- Raw events: one row per accepted event, written by the processor.
-- ORDER BY (customer_key, ts_ms, event_id): a customer's timeline is a
-- primary-key range read, and a replayed event (same event_id = source + ":"
-- + messageId, same customer_key and ts_ms) collapses into one row at merge.
-- ReplacingMergeTree dedups only at merge time: read with FINAL, argMax(...,
-- version) or LIMIT 1 BY event_id.
CREATE TABLE IF NOT EXISTS {{.DB}}.events {{.OnCluster}}
(
    event_id        String,   -- source + ':' + messageId, the idempotency key
    message_id      String,
    source          String,
    type            String,
    event           String,
    name            String,
    customer_key    String,   -- Event.CustomerKey(): anonymousId else userId; stable across replays
    customer_id     String,   -- canonical customer id resolved at write time (a hint; see identities)
    anonymous_id    String,
    user_id         String,
    group_id        String,
    previous_id     String,
    session_id      String,
    channel         String,
    touchpoint      String,
    timestamp       DateTime, -- skew-corrected event time (UTC), seconds
    ts_ms           Int64,    -- the same in epoch milliseconds
    original_ts_ms  Int64,
    sent_at_ms      Int64,
    received_at     DateTime,
    received_ms     Int64,
    ip              String,
    user_agent      String,
    browser         String,
    os              String,
    device_type     String,
    is_bot          UInt8,
    page_path       String,
    page_url        String,
    referrer        String,
    campaign_name   String,
    campaign_source String,
    campaign_medium String,
    properties      String,   -- raw JSON
    traits          String,   -- raw JSON
    context         String,   -- raw JSON
    score           Nullable(Float64),
    revenue         Float64,
    currency        String,
    order_id        String,
    ticket_id       String,
    ticket_channel  String,
    contract_id     String,
    contract_end_ms Int64,
    signal          String,
    signal_weight   Float64,
    version         UInt64    -- higher wins when rows with the same key merge
)
ENGINE = {{engine "ReplacingMergeTree" "version"}}
PARTITION BY toYYYYMM(timestamp)
ORDER BY (customer_key, ts_ms, event_id)
