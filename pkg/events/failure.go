package events

import "time"

// Reason classifies why an event was rejected or could not be processed.
type Reason string

// Rejection reasons. Size, format and schema come from the collector's
// decoding and validation; decode and processing from the processor.
const (
	// ReasonSize: the event or the request is larger than the limit.
	ReasonSize Reason = "size"
	// ReasonFormat: not JSON, not an object, or a field of the wrong JSON
	// type or format (for example a timestamp that is not RFC 3339).
	ReasonFormat Reason = "format"
	// ReasonSchema: the envelope or a reserved event's properties fail
	// their JSON Schema in schemas/events/.
	ReasonSchema Reason = "schema"
	// ReasonSuppressed: the event's ids were erased on request (GDPR).
	ReasonSuppressed Reason = "suppressed"
	// ReasonDecode: a Kafka record that is not a wire event.
	ReasonDecode Reason = "decode"
	// ReasonProcessing: a wire event the processor could not process.
	ReasonProcessing Reason = "processing"
)

// Failure is the record written to the DLQ topic (cem.events.dlq) for an
// event that was rejected or could not be processed. Raw holds the payload as
// received so that it can be inspected, fixed and replayed.
type Failure struct {
	// V is the version of this record's encoding (1).
	V int `json:"v"`
	// Stage is "collector" or "processor".
	Stage string `json:"stage"`
	// Version is the version of the service that wrote the record.
	Version string `json:"version,omitempty"`
	Reason  Reason `json:"reason"`
	// Error is the precise error, naming the field where there is one.
	Error string `json:"error"`
	// Source is the write key's source, when known.
	Source string `json:"source,omitempty"`
	// MessageID is the event's messageId, when it could be read.
	MessageID string `json:"messageId,omitempty"`
	// Index is the event's position in its request batch (collector only).
	Index int `json:"index"`
	// Raw is the event (or record value) as received.
	Raw string    `json:"raw"`
	At  time.Time `json:"at"`
}
