package events_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cemhq/cem/pkg/events"
)

// The channel follows the SDK library: browser SDKs are web even with
// context.app (RudderStack JS sends it), mobile SDKs are app; an explicit
// context.channel or RudderStack's top-level channel wins.
func TestChannelPerLibrary(t *testing.T) {
	d := decoder(t)
	tests := []struct {
		name, event, want string
	}{
		{"analytics-next track", `"type":"track","event":"A","context":{"library":{"name":"analytics.js","version":"npm:next-1.84.3"},"page":{"path":"/"}}`, "web"},
		{"rudderstack js with context.app", `"type":"track","event":"A","context":{"library":{"name":"RudderLabs JavaScript SDK"},"app":{"name":"RudderLabs JavaScript SDK","namespace":"com.rudderlabs.javascript"}}`, "web"},
		{"rudderstack top-level channel", `"type":"track","event":"A","channel":"web","context":{"app":{"name":"x"}}`, "web"},
		{"rudderstack mobile top-level channel", `"type":"track","event":"A","channel":"mobile"`, "app"},
		{"rudderstack server top-level channel", `"type":"track","event":"A","channel":"server"`, ""},
		{"explicit context.channel wins", `"type":"track","event":"A","channel":"web","context":{"channel":"phone","library":{"name":"analytics.js"}}`, "phone"},
		{"explicit context.channel wins over a mobile library", `"type":"page","context":{"channel":"store","library":{"name":"analytics-ios"}}`, "store"},
		{"analytics-ios", `"type":"track","event":"A","context":{"library":{"name":"analytics-ios"},"page":{"path":"/"}}`, "app"},
		{"analytics-android page", `"type":"page","context":{"library":{"name":"analytics-android"}}`, "app"},
		{"analytics-react-native", `"type":"track","event":"A","context":{"library":{"name":"@segment/analytics-react-native"}}`, "app"},
		{"rudderstack android", `"type":"track","event":"A","context":{"library":{"name":"com.rudderstack.android.sdk.core"}}`, "app"},
		{"analytics-go without hints", `"type":"track","event":"A","context":{"library":{"name":"analytics-go"}}`, ""},
		{"analytics-node page", `"type":"page","context":{"library":{"name":"@segment/analytics-node"}}`, "web"},
		{"no library, context.app", `"type":"track","event":"A","context":{"app":{"name":"shop"}}`, "app"},
		{"no library, context.page", `"type":"track","event":"A","context":{"page":{"path":"/"}}`, "web"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := d.DecodeBatch([]byte(`{"batch":[{"userId":"u",`+tt.event+`}]}`), received)
			require.NoError(t, err)
			require.Nil(t, b.Items[0].Err)
			assert.Equal(t, tt.want, b.Items[0].Event.Channel())
		})
	}
}

func TestLibraryChannel(t *testing.T) {
	assert.Equal(t, "web", events.LibraryChannel("Analytics.js"))
	assert.Equal(t, "app", events.LibraryChannel("analytics-kotlin"))
	assert.Empty(t, events.LibraryChannel("analytics-python"))
	assert.Empty(t, events.LibraryChannel(""))
}
