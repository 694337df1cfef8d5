package events

// Segment semantics for null: SDKs send "userId": null before identify
// (analytics.js does on every anonymous event), and "anonymousId",
// "groupId" or "context.campaign" may be null as well. Segment treats a null
// field as absent, so does cem: the null keys of the envelope, of its
// context and of the context's typed objects (page, app, device, os,
// campaign, library) are removed before validation. properties and traits
// keep their nulls (they are the customer's data, stored as sent).

// dropNulls removes the null fields of an event's document, in place.
func dropNulls(m map[string]any) {
	for k, v := range m {
		if v == nil {
			delete(m, k)
		}
	}
	if c, ok := m["context"].(map[string]any); ok {
		dropContextNulls(c)
	}
}

// dropContextNulls removes the null keys of a context object and of its
// typed objects, in place.
func dropContextNulls(c map[string]any) {
	for k, v := range c {
		switch x := v.(type) {
		case nil:
			delete(c, k)
		case map[string]any:
			if _, typed := contextKeys[k]; typed {
				for kk, vv := range x {
					if vv == nil {
						delete(x, kk)
					}
				}
			}
		}
	}
}
