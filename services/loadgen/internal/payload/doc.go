// Package payload turns generated events into Segment batch request bodies
// ({"batch": [...], "sentAt": ...}) as SDKs post them, and replays a fixed
// set of body templates with fresh ids on every pass, so a load generator
// can post millions of distinct events without generating or encoding any
// of them on the hot path.
package payload
