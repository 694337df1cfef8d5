package journey

import (
	"encoding/base64"
	"encoding/json"

	"github.com/cemhq/cem/services/query/internal/apierr"
)

// Cursor is a position in a timeline: the last (ts_ms, event_id) returned.
// Clients treat its encoding as opaque.
type Cursor struct {
	TsMs    int64  `json:"t"`
	EventID string `json:"e"`
	Desc    bool   `json:"d,omitempty"`
}

// Encode returns the opaque form of c.
func (c Cursor) Encode() string {
	b, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(b)
}

// DecodeCursor parses an opaque cursor; s == "" gives nil.
func DecodeCursor(s string) (*Cursor, error) {
	if s == "" {
		return nil, nil
	}
	if len(s) > 2048 {
		return nil, apierr.BadParam("cursor", "too long")
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return nil, apierr.BadParam("cursor", "not a cursor returned by this API")
	}
	var c Cursor
	if err := json.Unmarshal(b, &c); err != nil || c.EventID == "" {
		return nil, apierr.BadParam("cursor", "not a cursor returned by this API")
	}
	return &c, nil
}
