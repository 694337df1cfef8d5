package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"sort"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

// ev is one generated event, the source of truth for expected answers.
type ev struct {
	ID, Key, User, Anon, Session, Type, Event, Channel, Touchpoint, Source string
	TicketID, TicketChannel, Campaign                                      string
	Ms                                                                     int64
	Score                                                                  *float64
	Props, Traits                                                          map[string]any
	Bot                                                                    bool
}

// cust is one generated customer.
type cust struct {
	User, Anon string
	LoggedIn   bool
	Email      string
	Name       string
}

// dataset is a generated set of customers and their events.
type dataset struct {
	Customers []cust
	Events    []ev
	base      time.Time
}

var (
	channels    = []string{"web", "app", "email", "phone", "store"}
	touchpoints = []string{"checkout", "support_call", "delivery", "newsletter", "store_visit"}
	funnelSteps = []string{"Product Viewed", "Checkout Started", "Order Completed"}
	ticketChans = []string{"phone", "email", "chat"}
)

// canonical is the customer a key belongs to, as the generator linked it.
func (d *dataset) canonical(key string) string {
	for _, c := range d.Customers {
		if key == c.Anon && c.LoggedIn || key == c.User {
			return c.User
		}
	}
	return key
}

// generate builds n customers' journeys with a seeded RNG. Every customer's
// events are at distinct whole seconds.
func generate(seed uint64, n int) *dataset {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	d := &dataset{base: time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)} // a Monday
	seq := 0
	for i := range n {
		c := cust{User: fmt.Sprintf("u%03d", i), Anon: fmt.Sprintf("anon-%03d", i), LoggedIn: rng.IntN(4) != 0,
			Email: fmt.Sprintf("Person%03d@Example.com", i), Name: fmt.Sprintf("Person %03d", i)}
		d.Customers = append(d.Customers, c)
		t := d.base.Add(time.Duration(rng.IntN(8*7*24)) * time.Hour).Add(time.Duration(rng.IntN(3600)) * time.Second)
		loggedAt := -1
		if c.LoggedIn {
			loggedAt = 2 + rng.IntN(4)
		}
		channel := channels[rng.IntN(2)] // web or app for the browsing part
		nEvents := 6 + rng.IntN(10)
		session := fmt.Sprintf("s-%d-0", i)
		for k := range nEvents {
			t = t.Add(time.Duration(1+rng.IntN(90*60)) * time.Second)
			if rng.IntN(6) == 0 { // a later visit
				t = t.Add(time.Duration(1+rng.IntN(21*24)) * time.Hour)
				session = fmt.Sprintf("s-%d-%d", i, k)
			}
			e := ev{Type: "track", Channel: channel, Source: "web", Session: session, Anon: c.Anon, Ms: t.UnixMilli(), Touchpoint: "site"}
			e.Key = c.Anon
			if loggedAt >= 0 && k >= loggedAt {
				e.User = c.User
			}
			switch {
			case k == loggedAt:
				e.Type, e.Event = "identify", ""
				e.Traits = map[string]any{"email": c.Email, "name": c.Name, "plan": "pro"}
			default:
				e.Event = pick(rng, []string{"Product Viewed", "Product Viewed", "Checkout Started", "Order Completed", "Cart Viewed", ""})
				if e.Event == "" {
					e.Type, e.Event = "page", ""
				}
				e.Props = map[string]any{"plan": pick(rng, []string{"free", "pro"}), "price": float64(rng.IntN(200))}
			}
			seq++
			e.ID = fmt.Sprintf("web:m%06d", seq)
			d.Events = append(d.Events, e)
		}
		if c.LoggedIn { // server-side events carry only the user id
			for range rng.IntN(4) {
				t = t.Add(time.Duration(1+rng.IntN(48*3600)) * time.Second)
				seq++
				e := ev{ID: fmt.Sprintf("crm:m%06d", seq), Key: c.User, User: c.User, Type: "track", Source: "crm", Ms: t.UnixMilli(),
					Channel: pick(rng, channels), Touchpoint: pick(rng, touchpoints), Session: fmt.Sprintf("s-%d-crm-%d", i, seq)}
				switch rng.IntN(3) {
				case 0:
					e.Event = "NPS Submitted"
					s := float64(rng.IntN(11))
					e.Score = &s
				case 1:
					e.Event = "Ticket Opened"
					e.TicketID, e.TicketChannel = fmt.Sprintf("T%d", seq), pick(rng, ticketChans)
					d.Events = append(d.Events, e)
					for _, next := range []string{"Ticket Replied", "Ticket Resolved"} {
						if rng.IntN(4) == 0 {
							break
						}
						t = t.Add(time.Duration(1+rng.IntN(6*3600)) * time.Second)
						seq++
						r := e
						r.ID, r.Event, r.Ms = fmt.Sprintf("crm:m%06d", seq), next, t.UnixMilli()
						d.Events = append(d.Events, r)
					}
					continue
				default:
					e.Event = "Order Completed"
				}
				d.Events = append(d.Events, e)
			}
		}
	}
	sort.SliceStable(d.Events, func(a, b int) bool { return d.Events[a].Ms < d.Events[b].Ms })
	return d
}

func pick(rng *rand.Rand, xs []string) string { return xs[rng.IntN(len(xs))] }

func js(m map[string]any) string {
	if m == nil {
		return ""
	}
	b, _ := json.Marshal(m)
	return string(b)
}

// load inserts the dataset into events (every tenth event twice, as a replay
// would), identities and customer_ids.
func (d *dataset) load(t *testing.T, conn driver.Conn, db string) {
	t.Helper()
	ctx := context.Background()
	b, err := conn.PrepareBatch(ctx, "INSERT INTO "+db+`.events (event_id, message_id, source, type, event, name, customer_key, customer_id,
 anonymous_id, user_id, session_id, channel, touchpoint, timestamp, ts_ms, received_at, received_ms, properties, traits, score,
 ticket_id, ticket_channel, campaign_name, is_bot, signal, signal_weight, version)`)
	require.NoError(t, err)
	for i, e := range d.Events {
		for r := 0; r < 1+boolInt(i%10 == 0); r++ {
			ts := time.UnixMilli(e.Ms).UTC()
			signal, weight := "", 0.0
			if e.Score != nil {
				signal, weight = "survey", (*e.Score-7)/3
			}
			require.NoError(t, b.Append(e.ID, e.ID, e.Source, e.Type, e.Event, "", e.Key, e.Key, e.Anon, e.User, e.Session, e.Channel,
				e.Touchpoint, ts, e.Ms, ts, e.Ms, js(e.Props), js(e.Traits), e.Score, e.TicketID, e.TicketChannel, e.Campaign,
				uint8(boolInt(e.Bot)), signal, weight, uint64(1+r)))
		}
	}
	require.NoError(t, b.Send())
	ib, err := conn.PrepareBatch(ctx, "INSERT INTO "+db+".identities (id, customer_id, linked_at, cause, source_message_id, version)")
	require.NoError(t, err)
	cb, err := conn.PrepareBatch(ctx, "INSERT INTO "+db+".customer_ids (customer_id, id, deleted, version)")
	require.NoError(t, err)
	for _, c := range d.Customers {
		if !c.LoggedIn {
			continue
		}
		for _, id := range []string{c.User, c.Anon} {
			require.NoError(t, ib.Append(id, c.User, d.base, "identify", "m", uint64(1)))
			require.NoError(t, cb.Append(c.User, id, uint8(0), uint64(1)))
		}
	}
	require.NoError(t, ib.Send())
	require.NoError(t, cb.Send())
	sb, err := conn.PrepareBatch(ctx, "INSERT INTO "+db+".sessions (session_id, customer_key, customer_id, start, start_ms, end_ms, event_count, channel, version)")
	require.NoError(t, err)
	seen := map[string]bool{}
	for _, e := range d.Events {
		if !seen[e.Session] {
			seen[e.Session] = true
			require.NoError(t, sb.Append(e.Session, e.Key, d.canonical(e.Key), time.UnixMilli(e.Ms).UTC(), e.Ms, e.Ms, uint64(1), e.Channel, uint64(1)))
		}
	}
	require.NoError(t, sb.Send())
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
