package app_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cemhq/cem/pkg/itest"
	"github.com/cemhq/cem/services/query/internal/gdpr"
	"github.com/cemhq/cem/services/query/internal/journey"
)

// loggedIn returns a generated customer who logged in and has anonymous
// events from before the login.
func loggedIn(t *testing.T, d *dataset) cust {
	t.Helper()
	for _, c := range d.Customers {
		if c.LoggedIn {
			return c
		}
	}
	t.Fatal("no logged-in customer generated")
	return cust{}
}

func TestCustomerLookupAndTimelineIntegration(t *testing.T) {
	forEachLayout(t, func(t *testing.T, e *env) {
		d := generate(23, 60)
		d.load(t, e.conn, e.db)
		c := loggedIn(t, d)
		want := d.journeys()[c.User]
		require.NotEmpty(t, want)

		type lookup struct {
			Customers []struct {
				CustomerID string   `json:"customer_id"`
				IDs        []string `json:"ids"`
			} `json:"customers"`
		}
		for _, q := range []string{"id=" + c.Anon, "id=" + c.User, "email=" + url.QueryEscape(strings.ToUpper(c.Email)), "name=" + url.QueryEscape(c.Name)} {
			var got lookup
			e.json("GET", "/api/v1/customers?"+q, nil, &got)
			require.Len(t, got.Customers, 1, q)
			assert.Equal(t, c.User, got.Customers[0].CustomerID, q)
			assert.ElementsMatch(t, []string{c.User, c.Anon}, got.Customers[0].IDs, q)
		}
		var none lookup
		e.json("GET", "/api/v1/customers?id=nobody", nil, &none)
		assert.Empty(t, none.Customers)
		code, _ := e.do("GET", "/api/v1/customers/nobody", nil)
		assert.Equal(t, http.StatusNotFound, code)

		var prof journey.Profile
		e.json("GET", "/api/v1/customers/"+c.Anon, nil, &prof)
		assert.Equal(t, c.User, prof.CustomerID)
		assert.Equal(t, uint64(len(want)), prof.Events, "events of every linked id, replays counted once")
		assert.Equal(t, c.Email, prof.Traits["email"])
		assert.Equal(t, want[0].Ms, prof.FirstSeenMs)

		// Page through the whole timeline, 3 events at a time.
		var got []journey.Event
		cursor := ""
		for range 100 {
			var page journey.Timeline
			e.json("GET", fmt.Sprintf("/api/v1/customers/%s/timeline?limit=3&cursor=%s", c.User, cursor), nil, &page)
			for _, s := range page.Sessions {
				for _, ev := range s.Events {
					assert.Equal(t, s.SessionID, ev.SessionID)
					got = append(got, ev)
				}
			}
			if page.NextCursor == "" {
				break
			}
			cursor = page.NextCursor
		}
		require.Len(t, got, len(want))
		anonymous := 0
		for i, ev := range got {
			assert.Equal(t, want[i].ID, ev.EventID, "event %d in time order", i)
			if ev.CustomerKey == c.Anon {
				anonymous++
			}
		}
		assert.Positive(t, anonymous, "anonymous pre-login events are stitched into the timeline")

		t.Run("filters and desc", func(t *testing.T) {
			var page journey.Timeline
			e.json("GET", fmt.Sprintf("/api/v1/customers/%s/timeline?order=desc&event=page&limit=1000&from=%d", c.Anon, want[0].Ms+1), nil, &page)
			var wantIDs, gotIDs []string
			for i := len(want) - 1; i >= 0; i-- {
				if want[i].Type == "page" && want[i].Ms > want[0].Ms {
					wantIDs = append(wantIDs, want[i].ID)
				}
			}
			for _, s := range page.Sessions {
				for _, ev := range s.Events {
					gotIDs = append(gotIDs, ev.EventID)
				}
			}
			assert.Equal(t, wantIDs, gotIDs)
		})
		t.Run("bad cursor", func(t *testing.T) {
			code, body := e.do("GET", "/api/v1/customers/"+c.User+"/timeline?cursor=%27%20OR%201%3D1", nil)
			assert.Equal(t, http.StatusBadRequest, code, string(body))
			assert.Contains(t, string(body), `"code":"invalid_parameter"`)
		})
	})
}

func TestGDPREraseIntegration(t *testing.T) {
	forEachLayout(t, func(t *testing.T, e *env) {
		d := generate(29, 40)
		d.load(t, e.conn, e.db)
		c := loggedIn(t, d)
		ctx := context.Background()
		count := func(table, cond string, args ...any) uint64 {
			var n uint64
			require.NoError(t, e.conn.QueryRow(ctx, fmt.Sprintf("SELECT count() FROM %s.%s WHERE %s", e.db, table, cond), args...).Scan(&n))
			return n
		}
		ids := []any{c.User, c.Anon}
		before := count("events", "customer_key IN (?, ?)", ids...)
		require.Positive(t, before)
		othersBefore := count("events", "customer_key NOT IN (?, ?)", ids...)

		var exp gdpr.Export
		e.json("GET", "/api/v1/customers/"+c.User+"/export", nil, &exp)
		assert.ElementsMatch(t, []string{c.User, c.Anon}, exp.IDs)
		assert.Len(t, exp.Tables["events"], int(before)-countDup(d, c), "export holds every (deduplicated) event")
		assert.NotEmpty(t, exp.Tables["identities"])

		var rec gdpr.Receipt
		e.json("DELETE", "/api/v1/customers/"+c.Anon, nil, &rec)
		assert.Equal(t, c.User, rec.CustomerID)
		assert.ElementsMatch(t, []string{c.User, c.Anon}, rec.IDs)
		assert.True(t, rec.Suppressed)
		byTable := map[string]uint64{}
		for _, tr := range rec.Tables {
			byTable[tr.Table] = tr.Rows
		}
		assert.Equal(t, before, byTable["events"])
		for _, table := range []string{"sessions", "identities", "customer_ids"} {
			assert.Positive(t, byTable[table], table)
		}

		for table, cond := range map[string]string{
			"events":       "customer_key IN (?, ?) OR user_id IN (?, ?)",
			"sessions":     "customer_key IN (?, ?) OR customer_id IN (?, ?)",
			"identities":   "id IN (?, ?) OR customer_id IN (?, ?)",
			"customer_ids": "id IN (?, ?) OR customer_id IN (?, ?)",
		} {
			assert.Zero(t, count(table, cond, c.User, c.Anon, c.User, c.Anon), table)
		}
		assert.Equal(t, othersBefore, count("events", "customer_key NOT IN (?, ?)", ids...), "other customers untouched")
		assert.Equal(t, uint64(2), count("suppressed_ids FINAL", "id IN (?, ?) AND active = 1", ids...), "ids suppressed for the collector")
		assert.Equal(t, uint64(1), count("erasure_receipts", "receipt_id = ?", rec.ReceiptID))

		code, _ := e.do("GET", "/api/v1/customers/"+c.User, nil)
		assert.Equal(t, http.StatusNotFound, code, "the customer is gone")
	})
}

// countDup is the number of replayed duplicate rows of c's events.
func countDup(d *dataset, c cust) int {
	n := 0
	for i, ev := range d.Events {
		if i%10 == 0 && (ev.Key == c.User || ev.Key == c.Anon) {
			n++
		}
	}
	return n
}

// A group call's traits (the company's name and e-mail) stay on the group:
// they neither overwrite the person's traits in the profile nor make the
// person match a search for the company's e-mail or name. Order revenue
// stored before the schemas bounded it (1.7e308, twice: +Inf when summed)
// does not empty the profile.
func TestGroupTraitsStayOnTheGroupIntegration(t *testing.T) {
	e := newEnv(t)
	base := time.Now().Add(-time.Hour).Truncate(time.Second)
	at := func(min int) int64 { return base.Add(time.Duration(min) * time.Minute).UnixMilli() }
	d := &dataset{base: base, Customers: []cust{{User: "person-1", Anon: "p-anon", LoggedIn: true}}}
	mk := func(id, typ, event string, min int, traits map[string]any) ev {
		return ev{ID: "web:" + id, Key: "person-1", User: "person-1", Session: "s1", Type: typ, Event: event, Channel: "web", Source: "web", Ms: at(min), Traits: traits}
	}
	d.Events = []ev{
		mk("m1", "identify", "", 0, map[string]any{"email": "jane@example.com", "name": "Jane Doe"}),
		mk("m2", "group", "", 5, map[string]any{"email": "billing@acme.example", "name": "ACME Corp", "employees": 500}),
		mk("m3", "track", "Order Completed", 6, nil),
		mk("m4", "track", "Order Completed", 7, nil),
	}
	d.load(t, e.conn, e.db)
	require.NoError(t, e.conn.Exec(context.Background(), "ALTER TABLE "+e.db+".events UPDATE revenue = 1.7e308 WHERE event = 'Order Completed'"))
	itest.Eventually(t, 30*time.Second, func() bool {
		var n uint64
		return e.conn.QueryRow(context.Background(), "SELECT count() FROM "+e.db+".events WHERE revenue > 1e300").Scan(&n) == nil && n >= 2
	}, "revenue mutation applied")

	var prof journey.Profile
	e.json("GET", "/api/v1/customers/person-1", nil, &prof)
	assert.Equal(t, "jane@example.com", prof.Traits["email"], "the person's e-mail, not the company's")
	assert.Equal(t, "Jane Doe", prof.Traits["name"])
	assert.NotContains(t, prof.Traits, "employees")
	assert.Equal(t, uint64(2), prof.Orders)
	assert.Zero(t, prof.Revenue, "absurd amounts are left out of the sum")

	type lookup struct {
		Customers []struct {
			CustomerID string `json:"customer_id"`
		} `json:"customers"`
	}
	for q, want := range map[string]int{"email=jane@example.com": 1, "name=Jane%20Doe": 1, "email=billing@acme.example": 0, "name=ACME%20Corp": 0} {
		var got lookup
		e.json("GET", "/api/v1/customers?"+q, nil, &got)
		assert.Len(t, got.Customers, want, q)
	}
}
