// Package baseline holds the ceilings the services are measured against:
// an HTTP server that only reads and JSON-decodes each batch and answers
// 200 (the collector's baseline), and a drain that reads cem.events,
// decodes each record and inserts the rows into ClickHouse in large batches
// (the processor's baseline).
package baseline
