package population

import (
	"fmt"
	"time"

	"github.com/cemhq/cem/pkg/events"
)

// webEvent returns a browser event of browser b.
func (g *gen) webEvent(t time.Time, typ events.Type, b int, pg page, camp int, ref string) events.Event {
	ev := g.base(t, typ, SourceWeb)
	ev.AnonymousID = g.c.WebAnon[b]
	if g.loggedIn[b] {
		ev.UserID = g.c.UserID
	}
	a := webAgents[g.c.agents[b]]
	ev.Context.UserAgent, ev.Context.IP = a.ua, g.ip
	ev.Context.Library = &events.LibraryContext{Name: "analytics.js", Version: "next-1.74.0"}
	url := "https://www.shop.example" + pg.path
	ev.Context.Page = &events.PageContext{Path: pg.path, URL: url, Title: pg.title + " | Shop", Referrer: ref}
	if camp >= 0 {
		c := campaigns[camp]
		ev.Context.Campaign = &events.Campaign{Name: c.name, Source: c.source, Medium: c.medium}
		ev.Context.Page.Search = "?utm_campaign=" + c.name + "&utm_source=" + c.source + "&utm_medium=" + c.medium
	}
	ev.Enrichment = events.Enrichment{IP: g.ip, Browser: a.browser, BrowserVersion: a.version, OS: a.os, DeviceType: a.device, Bot: a.device == "bot"}
	return ev
}

func (g *gen) page(t time.Time, b int, pg page, camp int, ref string) {
	ev := g.webEvent(t, events.TypePage, b, pg, camp, ref)
	ev.Name, ev.Category = pg.title, pg.category
	ev.Properties = newObj().str("path", pg.path).str("url", ev.Context.Page.URL).str("title", ev.Context.Page.Title).str("referrer", ref).done()
	g.emit(ev)
}

func (g *gen) webTrack(t time.Time, b int, pg page, camp int, name string, props []byte) {
	ev := g.webEvent(t, events.TypeTrack, b, pg, camp, "")
	ev.Event, ev.Properties = name, props
	g.emit(ev)
}

// webSession is a browser visit on browser b; first marks the first visit.
func (g *gen) webSession(t time.Time, b int, first bool) {
	camp := -1
	if g.r.IntN(5) == 0 {
		camp = g.r.IntN(len(campaigns))
	}
	ref := referrers[g.r.IntN(len(referrers))]
	pg := entryPages[g.r.IntN(len(entryPages))]
	g.page(t, b, pg, camp, ref)
	steps := 1 + g.r.IntN(7)
	buys := g.r.IntN(100) < buyPercent(g.c.Persona)
	var viewed []product
	for range steps {
		t = t.Add(g.secs(8, 150))
		prev := "https://www.shop.example" + pg.path
		switch g.r.IntN(3) {
		case 0:
			pg = browsePages[g.r.IntN(len(browsePages))]
			g.page(t, b, pg, camp, prev)
		default:
			pr := products[g.r.IntN(len(products))]
			viewed = append(viewed, pr)
			pg = page{"/produkt/" + pr.id, pr.name, "Product"}
			g.page(t, b, pg, camp, prev)
			t = t.Add(g.secs(2, 20))
			g.webTrack(t, b, pg, camp, events.ProductViewed, newObj().str("product_id", pr.id).str("sku", pr.sku).
				str("name", pr.name).num("price", pr.price).str("category", pr.category).done())
		}
		if g.r.IntN(40) == 0 {
			g.webTrack(t.Add(g.secs(1, 5)), b, pg, camp, events.ErrorShown, newObj().str("error_code", "E5"+itoa(g.r.IntN(10))+"0").
				str("message", "Leider ist ein Fehler aufgetreten.").str("touchpoint", pg.path).done())
		}
	}
	wantsLogin := g.c.Persona != Browsers && !g.loggedIn[b] && (first || buys || g.r.IntN(3) == 0)
	if wantsLogin {
		t = t.Add(g.secs(10, 60))
		g.identifyWeb(t, b, pg)
		if first {
			g.startContract(t)
		}
	}
	if buys && g.loggedIn[b] {
		if len(viewed) == 0 {
			viewed = append(viewed, products[g.r.IntN(len(products))])
		}
		g.checkout(t.Add(g.secs(20, 120)), viewed, func(t time.Time, name string, props []byte) {
			g.webTrack(t, b, page{"/checkout", "Kasse", "Checkout"}, camp, name, props)
		})
	}
}

func (g *gen) identifyWeb(t time.Time, b int, pg page) {
	g.loggedIn[b] = true
	ev := g.webEvent(t, events.TypeIdentify, b, pg, -1, "")
	ev.Traits = g.traits()
	g.emit(ev)
}

func (g *gen) traits() []byte {
	o := newObj().str("email", g.c.Email).str("firstName", g.c.FirstName).str("lastName", g.c.LastName).
		str("createdAt", g.c.FirstSeen.Format(time.RFC3339))
	if g.c.HasContract {
		o.str("plan", plans[g.c.Plan].name)
	}
	return o.done()
}

// checkout emits cart, checkout, maybe a failed payment, the order and what
// follows it (loyalty points, a refund, a survey) through track.
func (g *gen) checkout(t time.Time, items []product, track func(time.Time, string, []byte)) {
	g.orders++
	orderID := fmt.Sprintf("%sord-%08d-%d", g.p.cfg.IDPrefix, g.c.Index, g.orders)
	total := 0.0
	var lines []byte
	lines = append(lines, '[')
	for i, pr := range items[:min(len(items), 4)] {
		q := 1 + g.r.IntN(2)
		total += pr.price * float64(q)
		if i > 0 {
			lines = append(lines, ',')
		}
		lines = append(lines, newObj().str("product_id", pr.id).str("sku", pr.sku).str("name", pr.name).num("price", pr.price).int("quantity", q).done()...)
	}
	lines = append(lines, ']')
	total = float64(int(total*100)) / 100
	track(t, events.CartViewed, newObj().str("cart_id", "cart-"+orderID).raw("products", lines).done())
	t = t.Add(g.secs(15, 90))
	track(t, events.CheckoutStarted, newObj().str("order_id", orderID).num("revenue", total).str("currency", "EUR").raw("products", lines).done())
	if g.r.IntN(20) == 0 {
		t = t.Add(g.secs(20, 60))
		track(t, events.PaymentFailed, newObj().str("order_id", orderID).num("amount", total).str("currency", "EUR").str("reason", "card_declined").done())
	}
	t = t.Add(g.secs(20, 120))
	o := newObj().str("order_id", orderID).num("revenue", total).str("currency", "EUR").raw("products", lines)
	if g.r.IntN(6) == 0 {
		o.str("coupon", "WILLKOMMEN10")
	}
	track(t, events.OrderCompleted, o.done())
	g.afterOrder(t, orderID, total)
}

func (g *gen) afterOrder(t time.Time, orderID string, total float64) {
	if !g.loyalty && g.orders >= 2 && g.r.IntN(2) == 0 {
		g.loyalty, g.tier = true, "Bronze"
		g.emit(g.server(t.Add(g.secs(5, 30)), SourceCRM, "web", events.LoyaltyJoined, newObj().str("program", "ShopClub").str("tier", g.tier).done()))
	}
	if g.loyalty {
		pts := float64(int(total))
		g.points += pts
		g.emit(g.server(t.Add(g.secs(30, 90)), SourceCRM, "web", events.PointsEarned, newObj().str("program", "ShopClub").num("points", pts).str("reason", "order").done()))
		next := map[string]struct {
			at   float64
			tier string
		}{"Bronze": {500, "Silber"}, "Silber": {1500, "Gold"}}[g.tier]
		if next.tier != "" && g.points >= next.at {
			g.emit(g.server(t.Add(g.secs(100, 200)), SourceCRM, "email", events.LoyaltyTierChanged,
				newObj().str("program", "ShopClub").str("tier", next.tier).str("previous_tier", g.tier).done()))
			g.tier = next.tier
		}
	}
	if g.r.IntN(25) == 0 {
		g.emit(g.server(t.Add(time.Duration(3+g.r.IntN(10))*24*time.Hour), SourceShop, "web", events.OrderRefunded,
			newObj().str("order_id", orderID).num("revenue", total).str("currency", "EUR").str("reason", "size").done()))
	}
	if g.r.IntN(6) == 0 {
		g.survey(t.Add(time.Duration(2+g.r.IntN(5))*24*time.Hour), events.NPSSubmitted)
	}
}

// appSession is a visit in the shop app (always logged in after the first).
func (g *gen) appSession(t time.Time) {
	d := appDevices[g.c.device]
	mk := func(t time.Time, typ events.Type) events.Event {
		ev := g.base(t, typ, SourceApp)
		ev.AnonymousID = g.c.AppAnon
		if g.appLoggedIn {
			ev.UserID = g.c.UserID
		}
		ev.Context.IP, ev.Context.UserAgent = g.ip, d.ua
		ev.Context.App = &events.AppContext{Name: "ShopApp", Version: "5.12.0", Build: "51200", Namespace: "example.shop.app"}
		ev.Context.Device = &events.DeviceContext{ID: g.c.AppAnon, Manufacturer: d.manufacturer, Model: d.model, Type: map[string]string{"iOS": "ios", "Android": "android"}[d.osName]}
		ev.Context.OS = &events.OSContext{Name: d.osName, Version: d.osVersion}
		lib := "analytics-ios"
		if d.osName == "Android" {
			lib = "analytics-android"
		}
		ev.Context.Library = &events.LibraryContext{Name: lib, Version: "4.11.3"}
		ev.Enrichment = events.Enrichment{IP: g.ip, Browser: "ShopApp", BrowserVersion: "5.12.0", OS: d.osName, DeviceType: "mobile"}
		return ev
	}
	if !g.appLoggedIn {
		g.appLoggedIn = true
		ev := mk(t, events.TypeIdentify)
		ev.Traits = g.traits()
		g.emit(ev)
	}
	var viewed []product
	for range 2 + g.r.IntN(7) {
		t = t.Add(g.secs(5, 90))
		ev := mk(t, events.TypeScreen)
		ev.Name = appScreens[g.r.IntN(len(appScreens))]
		ev.Properties = newObj().str("name", ev.Name).done()
		g.emit(ev)
		if ev.Name == "Product Detail" || g.r.IntN(4) == 0 {
			pr := products[g.r.IntN(len(products))]
			viewed = append(viewed, pr)
			tr := mk(t.Add(g.secs(1, 10)), events.TypeTrack)
			tr.Event, tr.Properties = events.ProductViewed, newObj().str("product_id", pr.id).str("name", pr.name).num("price", pr.price).str("category", pr.category).done()
			g.emit(tr)
		}
	}
	if len(viewed) > 0 && g.r.IntN(100) < 20 {
		g.checkout(t.Add(g.secs(20, 90)), viewed, func(t time.Time, name string, props []byte) {
			ev := mk(t, events.TypeTrack)
			ev.Event, ev.Properties = name, props
			g.emit(ev)
		})
	}
}

var ticketChannels = []struct {
	ch     string
	weight int
	reply  [2]int // hours to first reply
}{{"phone", 45, [2]int{0, 1}}, {"email", 35, [2]int{2, 48}}, {"letter", 12, [2]int{48, 240}}, {"chat", 8, [2]int{0, 1}}}

// ticket is a service case opened by the customer on phone, e-mail, letter
// or chat, answered and usually resolved, often followed by CSAT/CES.
func (g *gen) ticket(t time.Time) {
	pick := g.r.IntN(100)
	tc := ticketChannels[0]
	for _, c := range ticketChannels {
		if pick < c.weight {
			tc = c
			break
		}
		pick -= c.weight
	}
	g.ticketSeq++
	id := fmt.Sprintf("%stkt-%08d-%d", g.p.cfg.IDPrefix, g.c.Index, g.ticketSeq)
	topic := ticketTopics[g.r.IntN(len(ticketTopics))]
	prio := []string{"low", "normal", "normal", "high"}[g.r.IntN(4)]
	g.emit(g.server(t, SourceSupport, tc.ch, events.TicketOpened, newObj().str("ticket_id", id).str("channel", tc.ch).
		str("subject", topic).str("category", "service").str("priority", prio).done()))
	g.openTickets++
	h := tc.reply[0] + g.r.IntN(tc.reply[1]-tc.reply[0]+1)
	t = t.Add(time.Duration(h)*time.Hour + g.secs(60, 3000))
	g.emit(g.server(t, SourceSupport, tc.ch, events.TicketReplied, newObj().str("ticket_id", id).str("channel", tc.ch).
		str("agent_id", fmt.Sprintf("agent-%03d", g.r.IntN(120))).boolean("first_reply", true).done()))
	unresolved := 10
	if g.c.Persona == Churners {
		unresolved = 40
	}
	if g.r.IntN(100) < unresolved {
		return
	}
	t = t.Add(time.Duration(1+g.r.IntN(72))*time.Hour + g.secs(0, 3000))
	g.emit(g.server(t, SourceSupport, tc.ch, events.TicketResolved, newObj().str("ticket_id", id).str("channel", tc.ch).str("resolution", "solved").done()))
	g.openTickets--
	switch x := g.r.IntN(10); {
	case x < 4:
		g.survey(t.Add(g.secs(600, 86400)), events.CSATSubmitted)
	case x < 6:
		g.survey(t.Add(g.secs(600, 86400)), events.CESSubmitted)
	}
}

// buyPercent is the chance in % that a web visit of persona p ends in an order.
func buyPercent(p Persona) int {
	switch p {
	case Loyal:
		return 30
	case Regular:
		return 22
	case Occasional, Sleepers:
		return 15
	case Churners:
		return 12
	}
	return 0
}
