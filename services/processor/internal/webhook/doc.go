// Package webhook delivers closed-loop alerts to outbound webhooks: a
// consumer of topic cem.alerts (its own consumer group, so delivery
// progress is independent of processing) inside the processor, which
// already holds the Kafka and ClickHouse connections and runs on every
// instance (the group splits the partitions). Every alert, whichever
// component raised it, passes through the topic once it is stored.
//
// For each alert and each target whose filters match (reason, channel,
// segment), the body (the alert, the customer's key facts from
// customer_current and a link to the customer's page in the UI; generic
// JSON or Slack-compatible) is POSTed, signed with HMAC-SHA256 over
// "<timestamp>.<body>" (pkg/alerting.Sign; header Cem-Signature), with the
// alert id as Idempotency-Key on every attempt. 5xx, 408, 429, timeouts and
// network errors are retried with exponential backoff
// (github.com/cenkalti/backoff, as the processor's sink) up to MaxAttempts;
// other 4xx are not retried. The outcome is stored in table
// alert_deliveries (status delivered or dead with the reason: the
// dead-letter) before the Kafka offset is committed, so a crash re-delivers
// (receivers dedup on the key) and an alert delivered before is skipped.
package webhook
