package events_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/cemhq/cem/pkg/events"
	"github.com/cemhq/cem/pkg/events/eventstest"
)

// BenchmarkDecodeBatch is the per-event cost of decoding, validating and
// normalizing a 100-event SDK batch (see the events/s metric).
func BenchmarkDecodeBatch(b *testing.B) {
	d, err := events.NewDecoder(events.DefaultLimits())
	if err != nil {
		b.Fatal(err)
	}
	body := eventstest.Batch(100, 0)
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
	body, err := d.DecodeBatch(eventstest.Batch(1, 0), time.Now())
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
	raw := eventstest.Batch(1, 0)
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

// BenchmarkReadHead is the collector's pass over a 100-event batch before
// decoding it (write key and event count), next to BenchmarkDecodeBatch.
func BenchmarkReadHead(b *testing.B) {
	body := eventstest.Batch(100, 0)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if h, err := events.ReadHead(body, false); err != nil || h.Events != 100 {
			b.Fatal(h, err)
		}
	}
}
