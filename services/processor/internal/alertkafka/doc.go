// Package alertkafka produces closed-loop alerts (pkg/alerting) to topic
// cem.alerts for the scorer and the stream alert stage, and creates the
// topic.
package alertkafka
