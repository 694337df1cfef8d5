package events

import (
	"encoding/json"
	"time"
)

// unmarshalFast is the common case of Unmarshal: one pass of the strict
// parser over a record as appendWire writes it (any key order and
// whitespace), without reflection. It reports false for anything it is not
// certain to decode exactly as unmarshalReference does: invalid JSON, a
// version other than the number 1, a key that is not a field name (goccy
// folds case and ignores unknown keys; context keys are Extra, as in
// Context.UnmarshalJSON), escaped field names, repeated keys, null or
// mistyped typed fields, lone surrogates, times that time.Time.UnmarshalJSON
// refuses, very deep raw values. The caller then takes the reference path,
// which also words the errors.
//
// Unescaped strings are substrings of one copy of b (as goccy's are of its
// copy); the raw fields (properties, traits, integrations, context extras)
// share a second allocation with just their bytes, each capped so that an
// append cannot reach its neighbour. Nothing points into b.
func unmarshalFast(b []byte, ev *Event) bool {
	*ev = Event{}
	d := wireDecoder{p: parser{s: b, src: string(b)}}
	if !d.event(ev) {
		return false
	}
	d.finish(ev)
	return true
}

// span is b[start:end].
type span struct{ start, end int }

// extraSpan is a context key that goes to Context.Extra.
type extraSpan struct {
	key string
	span
}

type wireDecoder struct {
	p parser
	// raws are properties, traits and integrations (end 0: absent).
	raws [3]span
	// extras are the Extra keys of the context: the first ones in few,
	// the others in more (an array does not make the decoder escape).
	few  [8]extraSpan
	nfew int
	more []extraSpan
}

// extra returns the i-th Extra key.
func (d *wireDecoder) extra(i int) *extraSpan {
	if i < len(d.few) {
		return &d.few[i]
	}
	return &d.more[i-len(d.few)]
}

func (d *wireDecoder) extraCount() int { return d.nfew + len(d.more) }

// Bits of the top-level keys in the seen set.
const (
	wkV = iota
	wkType
	wkMessageID
	wkAnonymousID
	wkUserID
	wkEvent
	wkName
	wkCategory
	wkGroupID
	wkPreviousID
	wkProperties
	wkTraits
	wkIntegrations
	wkContext
	wkTimestamp
	wkOriginalTimestamp
	wkSentAt
	wkReceivedAt
	wkSource
	wkEnrichment
)

func (d *wireDecoder) event(ev *Event) bool {
	p := &d.p
	p.ws()
	if p.i >= len(p.s) || p.s[p.i] != '{' || p.open('}') {
		return false // {} has no version
	}
	var seen uint32
	for {
		key, ok := p.plainKey()
		if !ok || !p.colon() {
			return false
		}
		var bit int
		switch string(key) {
		case "v":
			bit, ok = wkV, p.versionOne()
		case "type":
			var s string
			s, ok = p.text()
			bit, ev.Type = wkType, Type(s)
		case "messageId":
			bit = wkMessageID
			ev.MessageID, ok = p.text()
		case "anonymousId":
			bit = wkAnonymousID
			ev.AnonymousID, ok = p.text()
		case "userId":
			bit = wkUserID
			ev.UserID, ok = p.text()
		case "event":
			bit = wkEvent
			ev.Event, ok = p.text()
		case "name":
			bit = wkName
			ev.Name, ok = p.text()
		case "category":
			bit = wkCategory
			ev.Category, ok = p.text()
		case "groupId":
			bit = wkGroupID
			ev.GroupID, ok = p.text()
		case "previousId":
			bit = wkPreviousID
			ev.PreviousID, ok = p.text()
		case "properties", "traits", "integrations":
			bit = wkProperties
			if key[0] == 't' {
				bit = wkTraits
			} else if key[0] == 'i' {
				bit = wkIntegrations
			}
			d.raws[bit-wkProperties], ok = p.rawValue(1)
		case "context":
			bit, ok = wkContext, d.context(&ev.Context)
		case "timestamp":
			bit, ok = wkTimestamp, p.timeValue(&ev.Timestamp)
		case "originalTimestamp":
			bit, ok = wkOriginalTimestamp, p.timeValue(&ev.OriginalTimestamp)
		case "sentAt":
			bit, ok = wkSentAt, p.timeValue(&ev.SentAt)
		case "receivedAt":
			bit, ok = wkReceivedAt, p.timeValue(&ev.ReceivedAt)
		case "source":
			bit = wkSource
			ev.Source, ok = p.text()
		case "enrichment":
			bit, ok = wkEnrichment, p.enrichment(&ev.Enrichment)
		default:
			return false
		}
		if !ok || seen&(1<<bit) != 0 {
			return false
		}
		seen |= 1 << bit
		if more, ok := p.next('}'); !ok {
			return false
		} else if !more {
			break
		}
	}
	p.ws()
	return p.i == len(p.s) && seen&(1<<wkV) != 0
}

// finish gives the raw fields their bytes: one allocation for all of
// them.
func (d *wireDecoder) finish(ev *Event) {
	n := 0
	for _, r := range d.raws {
		n += r.end - r.start
	}
	for i := range d.extraCount() {
		x := d.extra(i)
		n += x.end - x.start
	}
	if n == 0 {
		return
	}
	buf := make([]byte, 0, n)
	take := func(r span) json.RawMessage {
		i := len(buf)
		buf = append(buf, d.p.s[r.start:r.end]...)
		return buf[i:len(buf):len(buf)]
	}
	for i, dst := range [...]*json.RawMessage{&ev.Properties, &ev.Traits, &ev.Integrations} {
		if r := d.raws[i]; r.end > 0 {
			*dst = take(r)
		}
	}
	if n := d.extraCount(); n > 0 {
		ev.Context.Extra = make(map[string]json.RawMessage, n)
		for i := range n {
			x := d.extra(i)
			ev.Context.Extra[x.key] = take(x.span)
		}
	}
}

// Bits of the typed context keys in the seen set.
const (
	ckIP = iota
	ckUserAgent
	ckLocale
	ckTimezone
	ckChannel
	ckPage
	ckApp
	ckDevice
	ckOS
	ckCampaign
	ckLibrary
)

var (
	pageKeys    = []string{"path", "referrer", "search", "title", "url"}
	appKeys     = []string{"name", "version", "build", "namespace"}
	deviceKeys  = []string{"id", "manufacturer", "model", "name", "type"}
	osKeys      = []string{"name", "version"}
	campaignKey = []string{"name", "source", "medium", "term", "content"}
	libraryKeys = []string{"name", "version"}
)

// context reads the context object as Context.UnmarshalJSON does: the
// typed keys into their fields, every other key (unescaped, as a map key)
// into Extra.
func (d *wireDecoder) context(c *Context) bool {
	p := &d.p
	if p.i >= len(p.s) || p.s[p.i] != '{' {
		return false // null included
	}
	if p.open('}') {
		return true
	}
	var seen uint16
	for {
		if p.i >= len(p.s) || p.s[p.i] != '"' {
			return false
		}
		key, ok := p.str()
		if !ok || !p.colon() {
			return false
		}
		var v [5]string
		bit := -1
		switch key {
		case "ip":
			bit = ckIP
			c.IP, ok = p.text()
		case "userAgent":
			bit = ckUserAgent
			c.UserAgent, ok = p.text()
		case "locale":
			bit = ckLocale
			c.Locale, ok = p.text()
		case "timezone":
			bit = ckTimezone
			c.Timezone, ok = p.text()
		case "channel":
			bit = ckChannel
			c.Channel, ok = p.text()
		case "page":
			if bit, ok = ckPage, p.stringFields(pageKeys, v[:]); ok {
				c.Page = &PageContext{Path: v[0], Referrer: v[1], Search: v[2], Title: v[3], URL: v[4]}
			}
		case "app":
			if bit, ok = ckApp, p.stringFields(appKeys, v[:]); ok {
				c.App = &AppContext{Name: v[0], Version: v[1], Build: v[2], Namespace: v[3]}
			}
		case "device":
			if bit, ok = ckDevice, p.stringFields(deviceKeys, v[:]); ok {
				c.Device = &DeviceContext{ID: v[0], Manufacturer: v[1], Model: v[2], Name: v[3], Type: v[4]}
			}
		case "os":
			if bit, ok = ckOS, p.stringFields(osKeys, v[:]); ok {
				c.OS = &OSContext{Name: v[0], Version: v[1]}
			}
		case "campaign":
			if bit, ok = ckCampaign, p.stringFields(campaignKey, v[:]); ok {
				c.Campaign = &Campaign{Name: v[0], Source: v[1], Medium: v[2], Term: v[3], Content: v[4]}
			}
		case "library":
			if bit, ok = ckLibrary, p.stringFields(libraryKeys, v[:]); ok {
				c.Library = &LibraryContext{Name: v[0], Version: v[1]}
			}
		default:
			for i := range d.extraCount() {
				if d.extra(i).key == key {
					return false
				}
			}
			var r span
			if r, ok = p.rawValue(2); ok {
				if d.nfew < len(d.few) {
					d.few[d.nfew] = extraSpan{key, r}
					d.nfew++
				} else {
					d.more = append(d.more, extraSpan{key, r})
				}
			}
		}
		if !ok {
			return false
		}
		if bit >= 0 {
			if seen&(1<<bit) != 0 {
				return false
			}
			seen |= 1 << bit
		}
		if more, ok := p.next('}'); !ok {
			return false
		} else if !more {
			return true
		}
	}
}

// stringFields reads an object whose members are strings named by keys
// into v (by position). Any other key, a repeated one or a value that is
// not a string reports false.
func (p *parser) stringFields(keys []string, v []string) bool {
	if p.i >= len(p.s) || p.s[p.i] != '{' {
		return false
	}
	if p.open('}') {
		return true
	}
	var seen uint8
	for {
		key, ok := p.plainKey()
		if !ok || !p.colon() {
			return false
		}
		f := -1
		for i, k := range keys {
			if string(key) == k {
				f = i
				break
			}
		}
		if f < 0 || seen&(1<<f) != 0 {
			return false
		}
		seen |= 1 << f
		if v[f], ok = p.text(); !ok {
			return false
		}
		if more, ok := p.next('}'); !ok || !more {
			return ok
		}
	}
}

// enrichment reads the enrichment object.
func (p *parser) enrichment(e *Enrichment) bool {
	if p.i >= len(p.s) || p.s[p.i] != '{' {
		return false
	}
	if p.open('}') {
		return true
	}
	var seen uint16
	for {
		key, ok := p.plainKey()
		if !ok || !p.colon() {
			return false
		}
		var bit int
		switch string(key) {
		case "ip":
			bit = 0
			e.IP, ok = p.text()
		case "browser":
			bit = 1
			e.Browser, ok = p.text()
		case "browserVersion":
			bit = 2
			e.BrowserVersion, ok = p.text()
		case "os":
			bit = 3
			e.OS, ok = p.text()
		case "deviceType":
			bit = 4
			e.DeviceType, ok = p.text()
		case "bot":
			bit = 5
			e.Bot, ok = p.boolean()
		case "messageIdGenerated":
			bit = 6
			e.MessageIDGenerated, ok = p.boolean()
		case "timeClamped":
			bit = 7
			e.TimeClamped, ok = p.text()
		case "serverSource":
			bit = 8
			e.ServerSource, ok = p.boolean()
		default:
			return false
		}
		if !ok || seen&(1<<bit) != 0 {
			return false
		}
		seen |= 1 << bit
		if more, ok := p.next('}'); !ok || !more {
			return ok
		}
	}
}

// text reads a string value (not null).
func (p *parser) text() (string, bool) {
	if p.i >= len(p.s) || p.s[p.i] != '"' {
		return "", false
	}
	return p.str()
}

// boolean reads true or false (not null).
func (p *parser) boolean() (bool, bool) {
	if p.lit("true") {
		return true, true
	}
	return false, p.lit("false")
}

// versionOne reads the number 1 (and no other spelling of it).
func (p *parser) versionOne() bool {
	if p.i >= len(p.s) || p.s[p.i] != '1' {
		return false
	}
	end, ok := scanNumber(p.s, p.i)
	if !ok || end != p.i+1 {
		return false
	}
	p.i = end
	return true
}

// rawValue checks the JSON value at p.s[p.i], moves past it and returns
// where it is.
func (p *parser) rawValue(depth int) (span, bool) {
	start := p.i
	if !p.skip(depth) {
		return span{}, false
	}
	return span{start, p.i}, true
}

// timeValue reads a time as goccy does: time.Time.UnmarshalJSON of the value's
// bytes (quotes included). null and times it refuses report false.
func (p *parser) timeValue(t *time.Time) bool {
	if p.i >= len(p.s) || p.s[p.i] != '"' {
		return false
	}
	start := p.i
	if !p.skipStr() {
		return false
	}
	return t.UnmarshalJSON(p.s[start:p.i]) == nil
}
