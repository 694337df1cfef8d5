package events

import (
	"slices"
	"strings"
)

// Channel is the touchpoint channel of the event, in this order:
//
//  1. context.channel when set (lower-cased); the decoder also sets it from
//     RudderStack's top-level "channel" ("web"; "mobile" is "app").
//  2. The SDK named in context.library.name: a browser library
//     (analytics.js and analytics-next, RudderStack JS) is "web" even
//     though some of them send context.app; a mobile library (Segment's and
//     RudderStack's iOS, Android, React Native, Flutter SDKs) is "app".
//  3. Otherwise the shape of the event: "app" for screen calls,
//     context.app or context.device; "web" for page calls, context.page or
//     a user agent; else "" (unknown: server-side systems should always set
//     context.channel).
func (e *Event) Channel() string {
	if c := e.Context.Channel; c != "" {
		return strings.ToLower(strings.TrimSpace(c))
	}
	if l := e.Context.Library; l != nil {
		if c := LibraryChannel(l.Name); c != "" {
			return c
		}
	}
	switch {
	case e.Type == TypeScreen || e.Context.App != nil || e.Context.Device != nil:
		return "app"
	case e.Type == TypePage || e.Context.Page != nil || e.Context.UserAgent != "":
		return "web"
	}
	return ""
}

// browserLibraries and mobileLibraries are context.library.name values of
// the SDKs cem knows, lower-cased.
var (
	browserLibraries = []string{
		"analytics.js", "analytics-next", "@segment/analytics-next",
		"rudderlabs javascript sdk", "rudderstack javascript sdk", "@rudderstack/analytics-js",
	}
	mobileLibraries = []string{
		"analytics-ios", "analytics-android", "analytics-swift", "analytics-kotlin", "analytics-kotlin-android",
		"analytics-react-native", "@segment/analytics-react-native", "analytics-flutter", "analytics_flutter",
		"analytics-xamarin", "analytics-unity",
		"rudderlabs android sdk", "com.rudderstack.android.sdk.core", "rudder-ios-library", "rudderlabs ios sdk",
		"rudder-sdk-react-native", "@rudderstack/rudder-sdk-react-native", "rudderstack react native sdk",
		"rudder_sdk_flutter", "rudderlabs flutter sdk", "com.rudderstack.kotlin.sdk", "com.rudderstack.android.sdk",
		"rudderstack swift sdk",
	}
)

// LibraryChannel is the channel of events sent by the SDK library (the
// context.library.name it sends): "web" for browser libraries, "app" for
// mobile ones, "" for server-side and unknown libraries.
func LibraryChannel(library string) string {
	l := strings.ToLower(strings.TrimSpace(library))
	switch {
	case l == "":
		return ""
	case slices.Contains(browserLibraries, l):
		return "web"
	case slices.Contains(mobileLibraries, l):
		return "app"
	}
	return ""
}

// topLevelChannel maps RudderStack's top-level "channel" (web, mobile,
// server, sources) to a cem channel: "" when it names none.
func topLevelChannel(v any) string {
	s, _ := v.(string)
	switch s = strings.ToLower(strings.TrimSpace(s)); {
	case s == "mobile":
		return "app"
	case IsChannel(s):
		return s
	}
	return ""
}
