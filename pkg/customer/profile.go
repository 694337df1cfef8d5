package customer

// Profile is what every customer 360 view reports about a canonical
// customer. Times are Unix milliseconds (0: never), Revenue is the exact sum
// of the customer's Order Completed revenue (pkg/money).
type Profile struct {
	// CustomerID is the canonical customer id.
	CustomerID string `json:"customer_id"`
	// IDs are every id linked to the customer (anonymous ids, user ids),
	// sorted.
	IDs []string `json:"ids"`
	// FirstSeenMs and LastSeenMs bound the customer's events.
	FirstSeenMs int64 `json:"first_seen_ms"`
	LastSeenMs  int64 `json:"last_seen_ms"`
	// Events and Sessions count the customer's events (each event id once)
	// and sessions.
	Events   uint64 `json:"events"`
	Sessions uint64 `json:"sessions"`
	// Orders counts Order Completed events; Revenue sums their revenue.
	Orders  uint64  `json:"orders"`
	Revenue float64 `json:"revenue"`
}
