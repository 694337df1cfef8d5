package events

import (
	"bytes"
	"encoding/json"
	"regexp"
	"time"
	"unicode/utf8"
)

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
	// ReasonTime: the event's timestamp is beyond the collector's time
	// bounds and the endpoint refuses such events (/v1/import).
	ReasonTime Reason = "time"
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
	// Raw is the event (or record value) as received, write keys redacted
	// and cut to a cap (SetRaw).
	Raw string `json:"raw"`
	// Truncated tells that Raw was cut; RawBytes is then the size of the
	// payload as received.
	Truncated bool      `json:"truncated,omitempty"`
	RawBytes  int       `json:"rawBytes,omitempty"`
	At        time.Time `json:"at"`
}

// DefaultMaxRawBytes is the default cap of Failure.Raw: twice the largest
// accepted event, so that a record stays far below Kafka's message limit
// (1 MB) even when every byte is escaped in JSON, and one oversized event
// cannot make the DLQ write of its neighbours fail.
const DefaultMaxRawBytes = 64 << 10

// redacted replaces write keys in Raw.
const redacted = "[redacted]"

// minSecretLen is the shortest configured key SetRaw looks for anywhere in
// a payload.
const minSecretLen = 8

// writeKeyMember matches a JSON member named writeKey in any case (as
// encoding/json matches field names), with its string value.
var writeKeyMember = regexp.MustCompile(`("(?i:write_?key)"\s*:\s*)"(?:[^"\\]|\\.)*"`)

// SetRaw stores raw as f.Raw: the value of every member named writeKey
// (any case) and every occurrence of one of secrets (the configured write
// keys, when the writer knows them; those of 8 bytes or more and valid UTF-8) replaced by "[redacted]", then cut to
// max bytes (max <= 0: DefaultMaxRawBytes) at a UTF-8 boundary, with
// Truncated and RawBytes set.
func (f *Failure) SetRaw(raw []byte, max int, secrets ...string) {
	if max <= 0 {
		max = DefaultMaxRawBytes
	}
	received := len(raw)
	if bytes.Contains(bytes.ToLower(raw), []byte("key")) {
		raw = writeKeyMember.ReplaceAll(raw, []byte(`${1}"`+redacted+`"`))
	}
	for _, s := range secrets {
		// Short keys (a dev key) could match inside unrelated values; a key
		// that is not valid UTF-8 could match across a character's bytes
		// (write keys are printable ASCII, so such a key never occurs).
		if len(s) >= minSecretLen && utf8.ValidString(s) && bytes.Contains(raw, []byte(s)) {
			raw = bytes.ReplaceAll(raw, []byte(s), []byte(redacted))
		}
	}
	f.Truncated, f.RawBytes = false, 0
	if len(raw) > max {
		f.Truncated, f.RawBytes = true, received
		raw = raw[:cutUTF8(raw, max)]
	}
	f.Raw = string(raw)
}

// cutUTF8 is the length of b cut to at most n bytes, at a character
// boundary unless the bytes before n are not UTF-8.
func cutUTF8[T ~string | ~[]byte](b T, n int) int {
	if n >= len(b) {
		return len(b)
	}
	cut := max(n, 0)
	for cut > 0 && cut > n-utf8.UTFMax && !utf8.RuneStart(b[cut]) {
		cut--
	}
	return cut
}

// MaxFailureBytes bounds an encoded Failure (Encode). kafka-go refuses a
// message larger than its writer's BatchBytes (1 MiB) and then fails the
// whole write, so one long record would lose every other DLQ record of its
// write; 768 KiB leaves room for the key, headers and record overhead.
const MaxFailureBytes = 768 << 10

// maxErrorBytes bounds Error in a record cut by Encode.
const maxErrorBytes = 4 << 10

// Encode returns f as JSON of at most MaxFailureBytes. It does not escape
// < > & (a raw HTML payload keeps its size), but JSON escapes control
// characters, invalid UTF-8 and U+2028/9 to up to 6 bytes per byte: when
// that makes the record longer than MaxFailureBytes, Raw is cut further
// (Truncated, RawBytes set) until it fits.
func (f *Failure) Encode() []byte {
	for {
		b := f.encode()
		if len(b) <= MaxFailureBytes {
			return b
		}
		switch {
		case f.Raw != "":
			if !f.Truncated {
				f.Truncated, f.RawBytes = true, len(f.Raw)
			}
			// Cut in proportion to the excess, and by a byte at least.
			n := int(int64(len(f.Raw)) * int64(MaxFailureBytes) / int64(len(b)))
			f.Raw = f.Raw[:cutUTF8(f.Raw, min(n, len(f.Raw)-1))]
		case len(f.Error) > maxErrorBytes:
			f.Error = f.Error[:cutUTF8(f.Error, maxErrorBytes)]
		default:
			return b // short fields only: cannot happen
		}
	}
}

func (f *Failure) encode() []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(f) // a Failure always encodes
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}
