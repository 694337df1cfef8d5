package events

import "strings"

// Issue is one problem with one field of an event.
type Issue struct {
	// Field is the dotted path of the field ("timestamp",
	// "properties.score"), or "" for the event as a whole.
	Field string
	Msg   string
}

// FieldError is why one event was rejected: a reason class and the precise
// issues. Error() names the event's place and each field, for example
// `batch[3].timestamp: not RFC 3339`.
type FieldError struct {
	Reason Reason
	// At is the event's place in the request ("batch[3]", "line 7", or ""
	// for a single-event body).
	At     string
	Issues []Issue
}

func (e *FieldError) Error() string {
	var b strings.Builder
	for i, is := range e.Issues {
		if i > 0 {
			b.WriteString("; ")
		}
		p := e.At
		if is.Field != "" {
			if p != "" {
				p += "."
			}
			p += is.Field
		}
		if p != "" {
			b.WriteString(p)
			b.WriteString(": ")
		}
		b.WriteString(is.Msg)
	}
	return b.String()
}

func fieldErr(r Reason, at, field, msg string) *FieldError {
	return &FieldError{Reason: r, At: at, Issues: []Issue{{Field: field, Msg: msg}}}
}

// RequestError is why a whole request body was refused (nothing in it was
// accepted): it is too large (ReasonSize) or not the expected JSON shape
// (ReasonFormat).
type RequestError struct {
	Reason Reason
	Msg    string
}

func (e *RequestError) Error() string { return e.Msg }
