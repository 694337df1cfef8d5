package record

import "github.com/segmentio/kafka-go"

// ToMessages converts records for segmentio/kafka-go's writer (the
// adapters at the edge: the collector's sink, the processor's DLQ).
func ToMessages(recs []Record) []kafka.Message {
	out := make([]kafka.Message, len(recs))
	for i, r := range recs {
		out[i] = kafka.Message{Key: r.Key, Value: r.Value}
		if len(r.Headers) > 0 {
			out[i].Headers = make([]kafka.Header, len(r.Headers))
			for j, h := range r.Headers {
				out[i].Headers[j] = kafka.Header{Key: h.Key, Value: h.Value}
			}
		}
	}
	return out
}

// FromMessage converts a record read with segmentio/kafka-go (the
// processor's consumer).
func FromMessage(m kafka.Message) Record {
	r := Record{Key: m.Key, Value: m.Value, Partition: m.Partition, Offset: m.Offset}
	if len(m.Headers) > 0 {
		r.Headers = make([]Header, len(m.Headers))
		for i, h := range m.Headers {
			r.Headers[i] = Header{Key: h.Key, Value: h.Value}
		}
	}
	return r
}
