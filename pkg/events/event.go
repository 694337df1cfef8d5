package events

import (
	"encoding/json"
	"time"
)

// Type is a Segment spec v1 call type.
type Type string

// The six Segment call types.
const (
	TypeTrack    Type = "track"
	TypeIdentify Type = "identify"
	TypePage     Type = "page"
	TypeScreen   Type = "screen"
	TypeGroup    Type = "group"
	TypeAlias    Type = "alias"
)

// Types lists every call type in a stable order.
var Types = []Type{TypeTrack, TypeIdentify, TypePage, TypeScreen, TypeGroup, TypeAlias}

// Valid reports whether t is one of the six Segment call types.
func (t Type) Valid() bool {
	switch t {
	case TypeTrack, TypeIdentify, TypePage, TypeScreen, TypeGroup, TypeAlias:
		return true
	}
	return false
}

// Event is one Segment spec v1 message as cem stores it: the envelope sent by
// the SDK plus what the collector adds (source, receivedAt, enrichment).
//
// Properties, Traits and Integrations stay raw JSON: the pipeline reads only a
// few of their fields (see Reserved) and keeps the rest untouched.
type Event struct {
	Type        Type   `json:"type"`
	MessageID   string `json:"messageId"`
	AnonymousID string `json:"anonymousId,omitempty"`
	UserID      string `json:"userId,omitempty"`
	// Event is the name of a track call.
	Event string `json:"event,omitempty"`
	// Name is the name of a page or screen call.
	Name string `json:"name,omitempty"`
	// Category is the category of a page call.
	Category string `json:"category,omitempty"`
	// GroupID is the account of a group call.
	GroupID string `json:"groupId,omitempty"`
	// PreviousID is the earlier id of an alias call.
	PreviousID string `json:"previousId,omitempty"`

	Properties   json.RawMessage `json:"properties,omitempty"`
	Traits       json.RawMessage `json:"traits,omitempty"`
	Integrations json.RawMessage `json:"integrations,omitempty"`
	Context      Context         `json:"context"`

	// Timestamp is when the event happened, corrected for client clock skew
	// (see Normalize), in UTC with millisecond precision.
	Timestamp time.Time `json:"timestamp"`
	// OriginalTimestamp is the client's own timestamp, before skew correction.
	OriginalTimestamp time.Time `json:"originalTimestamp,omitzero"`
	// SentAt is the client clock when the SDK sent the batch.
	SentAt time.Time `json:"sentAt,omitzero"`
	// ReceivedAt is the collector clock when the request arrived.
	ReceivedAt time.Time `json:"receivedAt,omitzero"`

	// Source names the write key's source (for example "web" or "callcenter").
	// Set by the collector; clients cannot choose it.
	Source string `json:"source,omitempty"`
	// Enrichment is what the collector derived from the request.
	Enrichment Enrichment `json:"enrichment,omitzero"`
}

// Context is the Segment context object. Known fields are typed; every other
// key the SDK sent is kept in Extra so nothing is lost.
type Context struct {
	IP        string          `json:"ip,omitempty"`
	UserAgent string          `json:"userAgent,omitempty"`
	Locale    string          `json:"locale,omitempty"`
	Timezone  string          `json:"timezone,omitempty"`
	Channel   string          `json:"channel,omitempty"`
	Page      *PageContext    `json:"page,omitempty"`
	App       *AppContext     `json:"app,omitempty"`
	Device    *DeviceContext  `json:"device,omitempty"`
	OS        *OSContext      `json:"os,omitempty"`
	Campaign  *Campaign       `json:"campaign,omitempty"`
	Library   *LibraryContext `json:"library,omitempty"`
	// Extra holds every context key not listed above, as the SDK sent it.
	Extra map[string]json.RawMessage `json:"-"`
}

// PageContext is context.page.
type PageContext struct {
	Path     string `json:"path,omitempty"`
	Referrer string `json:"referrer,omitempty"`
	Search   string `json:"search,omitempty"`
	Title    string `json:"title,omitempty"`
	URL      string `json:"url,omitempty"`
}

// AppContext is context.app.
type AppContext struct {
	Name      string `json:"name,omitempty"`
	Version   string `json:"version,omitempty"`
	Build     string `json:"build,omitempty"`
	Namespace string `json:"namespace,omitempty"`
}

// DeviceContext is context.device.
type DeviceContext struct {
	ID           string `json:"id,omitempty"`
	Manufacturer string `json:"manufacturer,omitempty"`
	Model        string `json:"model,omitempty"`
	Name         string `json:"name,omitempty"`
	Type         string `json:"type,omitempty"`
}

// OSContext is context.os.
type OSContext struct {
	Name    string `json:"name,omitempty"`
	Version string `json:"version,omitempty"`
}

// Campaign is context.campaign (UTM parameters).
type Campaign struct {
	Name    string `json:"name,omitempty"`
	Source  string `json:"source,omitempty"`
	Medium  string `json:"medium,omitempty"`
	Term    string `json:"term,omitempty"`
	Content string `json:"content,omitempty"`
}

// LibraryContext is context.library, the SDK that sent the event.
type LibraryContext struct {
	Name    string `json:"name,omitempty"`
	Version string `json:"version,omitempty"`
}

// Enrichment is what the collector derives from the HTTP request.
type Enrichment struct {
	// IP is the client IP after applying the trusted proxy list.
	IP string `json:"ip,omitempty"`
	// Browser, BrowserVersion, OS and DeviceType come from the user agent.
	Browser        string `json:"browser,omitempty"`
	BrowserVersion string `json:"browserVersion,omitempty"`
	OS             string `json:"os,omitempty"`
	DeviceType     string `json:"deviceType,omitempty"`
	// Bot is true when the user agent looks like a crawler or script. Bots are
	// tagged, never dropped.
	Bot bool `json:"bot,omitempty"`
	// MessageIDGenerated is true when the collector made up the messageId.
	MessageIDGenerated bool `json:"messageIdGenerated,omitempty"`
	// TimeClamped is "future" or "past" when the event's timestamp was
	// beyond the collector's time bounds and was set to receivedAt
	// (originalTimestamp keeps the client's time).
	TimeClamped string `json:"timeClamped,omitempty"`
	// ServerSource is true when the write key belongs to a server source
	// (a secret key of a server-side system: CRM, call centre, shop
	// backend), false for a client source (a public browser or app key,
	// which anyone can read from a page). Only server sources may move an
	// existing user's identities (alias onto a known user, /v1/import).
	// Set by the collector from its configuration; never read from a body.
	ServerSource bool `json:"serverSource,omitempty"`
}
