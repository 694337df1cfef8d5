// Package junkid is the one list of junk and shared ids: values that SDKs,
// forms and integrations send in place of a real id ("null", "undefined",
// "0", "guest", ...). Many different people carry them, so they never
// identify a person: the processor never links them, the query service
// refuses to erase or suppress them, and suppression never matches them.
package junkid
