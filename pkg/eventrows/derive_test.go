package eventrows_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/cemhq/cem/pkg/eventrows"
	"github.com/cemhq/cem/pkg/events"
)

func TestTouchpoint(t *testing.T) {
	tests := []struct {
		ev   events.Event
		want string
	}{
		{events.Event{Type: events.TypePage, Context: events.Context{Page: &events.PageContext{Path: "/cart?x=1#top"}}}, "web:/cart"},
		{events.Event{Type: events.TypePage, Name: "Home"}, "web:Home"},
		{events.Event{Type: events.TypeScreen, Name: "Settings"}, "web:Settings"},
		{events.Event{Type: events.TypeTrack, Event: "Ticket Opened"}, "web:Ticket Opened"},
		{events.Event{Type: events.TypeIdentify}, "web:identify"},
		{events.Event{Type: events.TypeTrack}, "web:track"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			assert.Equal(t, tt.want, eventrows.Touchpoint(&tt.ev, "web"))
		})
	}
}

func TestSignalOf(t *testing.T) {
	f := func(v float64) *float64 { return &v }
	tests := []struct {
		name  string
		score *float64
		want  eventrows.Signal
	}{
		{"Payment Failed", nil, eventrows.Signal{"payment_failed", -1}},
		{"Reward Granted", nil, eventrows.Signal{"reward", 1}},
		{"NPS Submitted", f(10), eventrows.Signal{"survey", 1}},
		{"NPS Submitted", f(0), eventrows.Signal{"survey", -1}},
		{"CSAT Submitted", f(4), eventrows.Signal{"survey", 0.5}},
		{"CES Submitted", f(7), eventrows.Signal{"survey", 1}},
		{"Product Viewed", nil, eventrows.Signal{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, eventrows.SignalOf(&events.Event{Event: tt.name}, &events.Reserved{Score: tt.score}))
		})
	}
}
