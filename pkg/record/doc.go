// Package record is the project's own Kafka record: the few fields the
// services read or write (key, value, headers, and where a consumed record
// sits). The seams between the Kafka client and the product's logic (the
// processor's flush Handler and DLQ Publisher, the collector's Sink) take
// Records, so the product code and its tests do not depend on one client
// library's message type; the adapters convert at the edge.
package record
