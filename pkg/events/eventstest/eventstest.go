// Package eventstest builds realistic request bodies for tests and
// benchmarks of the decoder and the collector.
package eventstest

import (
	"bytes"
	"fmt"
)

// Batch returns a Segment batch body of n "Product Viewed" track events as
// an analytics.js client sends them (~600 bytes each: page, campaign and
// library context, a desktop Chrome user agent). seq makes the messageIds
// of different bodies distinct; 50 customers recur.
func Batch(n, seq int) []byte {
	var b bytes.Buffer
	b.WriteString(`{"sentAt":"2026-05-01T12:00:01.000Z","batch":[`)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"type":"track","messageId":"m-%d-%d","anonymousId":"anon-%d","userId":"user-%d","event":"Product Viewed","timestamp":"2026-05-01T12:00:00.%03dZ",`+
			`"properties":{"product_id":"p-%d","name":"Running Shoe","price":89.9,"category":"shoes"},`+
			`"context":{"library":{"name":"analytics.js","version":"5.2.0"},"page":{"path":"/p/%d","url":"https://shop.example/p/%d","referrer":"https://www.google.com/","title":"Running Shoe"},`+
			`"userAgent":"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36","locale":"de-DE","campaign":{"name":"spring","source":"news","medium":"email"}}}`,
			seq, i, i%50, i%50, i%1000, i, i, i)
	}
	b.WriteString(`]}`)
	return b.Bytes()
}
