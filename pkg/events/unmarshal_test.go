package events

import (
	"encoding/json"
	"testing"
	"time"
)

// wireRecords are events as the processor reads them from Kafka: what the
// collector writes for analytics.js and server-side calls (~0.5-1 KB
// each).
func wireRecords() map[string]*Event {
	ts := time.Date(2026, 5, 1, 12, 0, 0, 123_000_000, time.UTC)
	ua := "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36"
	enrich := Enrichment{IP: "203.0.113.7", Browser: "Chrome", BrowserVersion: "120.0.0.0", OS: "Windows", DeviceType: "desktop"}
	return map[string]*Event{
		"track": {
			Type: TypeTrack, MessageID: "ajs-next-1714564800123-4f1c2b7e-9d3a-4e8b-a1c5-6f7e8d9c0b1a", AnonymousID: "3f2c9e1a-7b4d-4c8e-9a2f-1e6d5c4b3a29",
			UserID: "user-48213", Event: "Order Completed",
			Properties: json.RawMessage(`{"order_id":"o-2026-0501-7781","total":184.7,"revenue":155.21,"shipping":9.9,"tax":29.49,"currency":"EUR","coupon":"SPRING10",` +
				`"products":[{"product_id":"p-1042","sku":"RS-42-BLK","name":"Running Shoe","price":89.9,"quantity":1,"category":"shoes"},` +
				`{"product_id":"p-2210","sku":"SK-3P","name":"Sport Socks (3 pairs)","price":12.5,"quantity":2,"category":"socks"}]}`),
			Context: Context{IP: "203.0.113.7", UserAgent: ua, Locale: "de-DE", Timezone: "Europe/Berlin", Channel: "web",
				Page:     &PageContext{Path: "/checkout/confirm", Referrer: "https://shop.example/cart", Title: "Thank you", URL: "https://shop.example/checkout/confirm?step=3", Search: "?step=3"},
				Campaign: &Campaign{Name: "spring", Source: "newsletter", Medium: "email", Content: "hero-banner"},
				Library:  &LibraryContext{Name: "analytics.js", Version: "next-1.66.0"},
				Extra:    map[string]json.RawMessage{"screen": json.RawMessage(`{"width":1920,"height":1080,"density":1}`)}},
			Timestamp: ts, OriginalTimestamp: ts.Add(-1500 * time.Millisecond), SentAt: ts.Add(-time.Second), ReceivedAt: ts.Add(40 * time.Millisecond),
			Source: "web", Enrichment: enrich,
		},
		"page": {
			Type: TypePage, MessageID: "ajs-next-1714564801456-0b1a2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d", AnonymousID: "3f2c9e1a-7b4d-4c8e-9a2f-1e6d5c4b3a29",
			Name: "Running Shoe", Category: "Product", Properties: json.RawMessage(`{"path":"/p/1042","url":"https://shop.example/p/1042","title":"Running Shoe","referrer":"https://www.google.com/"}`),
			Context: Context{IP: "203.0.113.7", UserAgent: ua, Locale: "de-DE", Timezone: "Europe/Berlin", Channel: "web",
				Page:    &PageContext{Path: "/p/1042", Referrer: "https://www.google.com/", Title: "Running Shoe", URL: "https://shop.example/p/1042"},
				Library: &LibraryContext{Name: "analytics.js", Version: "next-1.66.0"}},
			Timestamp: ts, OriginalTimestamp: ts.Add(-800 * time.Millisecond), SentAt: ts.Add(-500 * time.Millisecond), ReceivedAt: ts.Add(20 * time.Millisecond),
			Source: "web", Enrichment: enrich,
		},
		"identify": {
			Type: TypeIdentify, MessageID: "crm-5b0e7c2a-1d3f-4e6a-9b8c-7d6e5f4a3b2c", UserID: "user-48213",
			Traits: json.RawMessage(`{"email":"jana.k@example.com","firstName":"Jana","lastName":"Kowalski","plan":"premium","createdAt":"2024-02-11T09:30:00Z",` +
				`"address":{"city":"Berlin","postalCode":"10115","country":"DE"},"newsletter":true,"lifetimeValue":1284.5}`),
			Integrations: json.RawMessage(`{"All":true}`),
			Context:      Context{Channel: "support", Library: &LibraryContext{Name: "cem-go", Version: "0.9.0"}},
			Timestamp:    ts, ReceivedAt: ts.Add(5 * time.Millisecond),
			Source: "callcenter", Enrichment: Enrichment{IP: "10.0.4.2", ServerSource: true},
		},
	}
}

// BenchmarkUnmarshal is the processor's decode of one Kafka record.
func BenchmarkUnmarshal(b *testing.B) {
	for _, name := range []string{"track", "page", "identify"} {
		raw, err := Marshal(wireRecords()[name])
		if err != nil {
			b.Fatal(err)
		}
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(raw)))
			for b.Loop() {
				if _, err := Unmarshal(raw); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
