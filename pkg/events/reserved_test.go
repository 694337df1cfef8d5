package events_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cemhq/cem/pkg/events"
)

// Every reserved event has a schema, and each is exercised with a valid and
// an invalid property set.
func TestReservedSchemas(t *testing.T) {
	cases := map[string]struct{ valid, invalid string }{
		events.NPSSubmitted:       {`{"score":9,"comment":"great"}`, `{"score":11}`},
		events.CSATSubmitted:      {`{"score":4}`, `{"score":0}`},
		events.CESSubmitted:       {`{"score":7}`, `{"score":8}`},
		events.FeedbackGiven:      {`{"text":"slow delivery","rating":2}`, `{}`},
		events.OrderCompleted:     {`{"order_id":"o1","revenue":99.5,"currency":"EUR","products":[{"product_id":"p1","price":99.5,"quantity":1}]}`, `{"revenue":-1}`},
		events.ProductViewed:      {`{"product_id":"p1","price":10}`, `{"price":"ten"}`},
		events.CartViewed:         {`{"products":[]}`, `{"products":"none"}`},
		events.CheckoutStarted:    {`{"revenue":10}`, `{"currency":"euro"}`},
		events.OrderRefunded:      {`{"order_id":"o1","revenue":10}`, `{"revenue":10}`},
		events.TicketOpened:       {`{"ticket_id":"t1","channel":"phone"}`, `{"ticket_id":"t1","channel":"pigeon"}`},
		events.TicketReplied:      {`{"ticket_id":"t1"}`, `{"channel":"email"}`},
		events.TicketResolved:     {`{"ticket_id":"t1","channel":"letter"}`, `{"ticket_id":""}`},
		events.ContractStarted:    {`{"contract_id":"c1","end_date":"2027-03-31"}`, `{"contract_id":"c1","end_date":"next year"}`},
		events.ContractRenewed:    {`{"contract_id":"c1","end_date":"2028-03-31T00:00:00Z"}`, `{}`},
		events.ContractCancelled:  {`{"contract_id":"c1","reason":"price"}`, `{"reason":"price"}`},
		events.LoyaltyJoined:      {`{"program":"club","tier":"silver"}`, `{"tier":"silver"}`},
		events.LoyaltyTierChanged: {`{"program":"club","tier":"gold"}`, `{"program":"club"}`},
		events.PointsEarned:       {`{"points":100}`, `{"points":0}`},
		events.PointsRedeemed:     {`{"points":50}`, `{"points":-5}`},
		events.ReferralSent:       {`{"referral_id":"r1"}`, `{"referral_id":7}`},
		events.ReferralConverted:  {`{"referral_id":"r1","referred_user_id":"u9"}`, `{"referral_id":"r1"}`},
		events.ErrorShown:         {`{"error_code":500,"message":"oops"}`, `{"message":false}`},
		events.PaymentFailed:      {`{"order_id":"o1","amount":20}`, `{"amount":"20"}`},
		events.ComplaintFiled:     {`{"text":"rude agent","channel":"phone"}`, `{"channel":"carrier pigeon"}`},
		events.RewardGranted:      {`{"reward":"voucher","value":10}`, `{"value":-10}`},
	}
	d := decoder(t)
	require.Len(t, cases, len(events.ReservedNames), "a case for every reserved event")
	for _, name := range events.ReservedNames {
		c, ok := cases[name]
		require.True(t, ok, name)
		require.True(t, d.Validator.Reserved(name), "schema for %s", name)
		t.Run(name, func(t *testing.T) {
			body := func(props string) []byte {
				return []byte(`{"userId":"u1","event":"` + name + `","properties":` + props + `}`)
			}
			b, err := d.DecodeEvent(body(c.valid), events.TypeTrack, received)
			require.NoError(t, err)
			assert.Nil(t, b.Items[0].Err, "valid %s", c.valid)
			b, err = d.DecodeEvent(body(c.invalid), events.TypeTrack, received)
			require.NoError(t, err)
			require.NotNil(t, b.Items[0].Err, "invalid %s must be rejected", c.invalid)
			assert.Equal(t, events.ReasonSchema, b.Items[0].Err.Reason)
			assert.Contains(t, b.Items[0].Err.Error(), "properties")
		})
	}
}

func TestUnknownEventsAreValid(t *testing.T) {
	b, err := decoder(t).DecodeEvent([]byte(`{"userId":"u1","event":"Newsletter Opened","properties":{"score":"anything","x":[1,{"y":null}]}}`), events.TypeTrack, received)
	require.NoError(t, err)
	assert.Nil(t, b.Items[0].Err)
	// A reserved name on a non-track call is not a reserved event.
	b, err = decoder(t).DecodeEvent([]byte(`{"userId":"u1","name":"NPS Submitted","properties":{"score":42}}`), events.TypePage, received)
	require.NoError(t, err)
	assert.Nil(t, b.Items[0].Err)
}

func TestReservedTyped(t *testing.T) {
	tests := []struct {
		name, props string
		want        events.Reserved
	}{
		{events.NPSSubmitted, `{"score":3}`, events.Reserved{Score: ptr(3)}},
		{events.FeedbackGiven, `{"rating":2,"text":"meh"}`, events.Reserved{Score: ptr(2)}},
		{events.OrderCompleted, `{"order_id":"o1","total":12.5,"currency":"EUR"}`, events.Reserved{OrderID: "o1", Revenue: 12.5, Currency: "EUR"}},
		{events.TicketOpened, `{"ticket_id":"t1","channel":"letter"}`, events.Reserved{TicketID: "t1", TicketChannel: "letter"}},
		{events.ContractStarted, `{"contract_id":"c1","end_date":"2027-03-31"}`, events.Reserved{ContractID: "c1", ContractEnd: time.Date(2027, 3, 31, 0, 0, 0, 0, time.UTC)}},
		{events.PointsEarned, `{"program":"club","points":100}`, events.Reserved{Program: "club", Points: 100}},
		{events.ReferralConverted, `{"referral_id":"r1","referred_user_id":"u9"}`, events.Reserved{ReferralID: "r1", ReferredUserID: "u9"}},
		{"Something Else", `{"score":3}`, events.Reserved{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev := events.Event{Type: events.TypeTrack, Event: tt.name, Properties: json.RawMessage(tt.props)}
			got, err := ev.Reserved()
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
	// The ticket's channel falls back to the event's channel.
	ev := events.Event{Type: events.TypeTrack, Event: events.TicketReplied, Properties: json.RawMessage(`{"ticket_id":"t1"}`), Context: events.Context{Channel: "email"}}
	got, err := ev.Reserved()
	require.NoError(t, err)
	assert.Equal(t, "email", got.TicketChannel)
	// Wrong JSON types (a record that bypassed the collector) are errors.
	ev = events.Event{Type: events.TypeTrack, Event: events.NPSSubmitted, Properties: json.RawMessage(`{"score":"ten"}`)}
	_, err = ev.Reserved()
	assert.Error(t, err)
}

func ptr(f float64) *float64 { return &f }

// Amounts of money beyond MaxAmount are refused with a clear reason at the
// collector (schema maximum) and by Reserved (a record that bypassed it), so
// that no sum of them becomes +Inf.
func TestMoneyMaxima(t *testing.T) {
	d := decoder(t)
	for _, tc := range []struct{ event, props, field string }{
		{events.OrderCompleted, `{"order_id":"o1","revenue":1.7e308}`, "properties.revenue"},
		{events.OrderCompleted, `{"order_id":"o1","total":1e13}`, "properties.total"},
		{events.OrderCompleted, `{"order_id":"o1","products":[{"price":-1.7e308}]}`, "properties.products.0.price"},
		{events.OrderRefunded, `{"order_id":"o1","revenue":1.7e308}`, "properties.revenue"},
		{events.CheckoutStarted, `{"revenue":1.7e308}`, "properties.revenue"},
		{events.ProductViewed, `{"price":1.7e308}`, "properties.price"},
		{events.CartViewed, `{"products":[{"price":1e300,"quantity":1}]}`, "properties.products.0.price"},
		{events.PaymentFailed, `{"amount":1.7e308}`, "properties.amount"},
		{events.RewardGranted, `{"value":1.7e308}`, "properties.value"},
		{events.ContractStarted, `{"contract_id":"c1","value":1.7e308}`, "properties.value"},
		{events.PointsEarned, `{"points":1.7e308}`, "properties.points"},
		{events.PointsRedeemed, `{"points":1.7e308}`, "properties.points"},
	} {
		t.Run(tc.event+" "+tc.field, func(t *testing.T) {
			b, err := d.DecodeEvent([]byte(`{"userId":"u1","event":"`+tc.event+`","properties":`+tc.props+`}`), events.TypeTrack, received)
			require.NoError(t, err)
			require.NotNil(t, b.Items[0].Err, "%s must be refused", tc.props)
			assert.Equal(t, events.ReasonSchema, b.Items[0].Err.Reason)
			assert.Contains(t, b.Items[0].Err.Error(), tc.field)
			assert.Contains(t, b.Items[0].Err.Error(), "imum: got") // maximum, or minimum for -1.7e308

			ev := events.Event{Type: events.TypeTrack, Event: tc.event, Properties: json.RawMessage(tc.props)}
			if _, err := ev.Reserved(); err == nil && !strings.HasSuffix(tc.field, "price") { // Reserved does not read prices
				t.Errorf("Reserved accepted %s", tc.props)
			}
		})
	}
	// The largest amount passes both.
	body := `{"userId":"u1","event":"Order Completed","properties":{"order_id":"o1","revenue":1e12}}`
	b, err := d.DecodeEvent([]byte(body), events.TypeTrack, received)
	require.NoError(t, err)
	require.Nil(t, b.Items[0].Err)
	r, err := b.Items[0].Event.Reserved()
	require.NoError(t, err)
	assert.Equal(t, events.MaxAmount, r.Revenue)
}
