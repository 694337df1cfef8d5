// Package events is the cem event model shared by every service: the Segment
// spec v1 envelope and its six call types, the CEM conventions on top of it
// (channels, reserved event names), decoding and JSON Schema validation with
// precise per-field errors, time normalisation, the Kafka partition key and
// the wire encoding of an event on Kafka.
//
// It imports no Kafka, ClickHouse or Prometheus code.
package events
