package events_test

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/cemhq/cem/pkg/events"
)

func benchBatch(n int) []byte {
	var b bytes.Buffer
	b.WriteString(`{"sentAt":"2026-05-01T12:00:01.000Z","batch":[`)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"type":"track","messageId":"m-%d","anonymousId":"anon-%d","userId":"user-%d","event":"Product Viewed","timestamp":"2026-05-01T12:00:00.%03dZ",`+
			`"properties":{"product_id":"p-%d","name":"Running Shoe","price":89.9,"category":"shoes"},`+
			`"context":{"library":{"name":"analytics.js","version":"5.2.0"},"page":{"path":"/p/%d","url":"https://shop.example/p/%d","referrer":"https://www.google.com/","title":"Running Shoe"},`+
			`"userAgent":"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36","locale":"de-DE","campaign":{"name":"spring","source":"news","medium":"email"}}}`,
			i, i%50, i%50, i%1000, i, i, i)
	}
	b.WriteString(`]}`)
	return b.Bytes()
}

// BenchmarkDecodeBatch is the per-event cost of decoding, validating and
// normalizing a 100-event SDK batch (see the events/s metric).
func BenchmarkDecodeBatch(b *testing.B) {
	d, err := events.NewDecoder(events.DefaultLimits())
	if err != nil {
		b.Fatal(err)
	}
	body := benchBatch(100)
	now := time.Now()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := d.DecodeBatch(body, now); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*100)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkWireUnmarshal is the processor's per-record decode cost.
func BenchmarkWireUnmarshal(b *testing.B) {
	d, err := events.NewDecoder(events.DefaultLimits())
	if err != nil {
		b.Fatal(err)
	}
	body, err := d.DecodeBatch(benchBatch(1), time.Now())
	if err != nil {
		b.Fatal(err)
	}
	raw, err := events.Marshal(&body.Items[0].Event)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(raw)))
	for b.Loop() {
		if _, err := events.Unmarshal(raw); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkValidate is the schema validation of one valid SDK event.
func BenchmarkValidate(b *testing.B) {
	v, err := events.DefaultValidator()
	if err != nil {
		b.Fatal(err)
	}
	raw := benchBatch(1)
	raw = raw[bytes.IndexByte(raw, '[')+1 : len(raw)-2]
	doc, err := jsonschema.UnmarshalJSON(strings.NewReader(string(raw)))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := v.Validate(doc); err != nil {
			b.Fatal(err)
		}
	}
}
