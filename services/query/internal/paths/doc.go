// Package paths finds the most frequent journeys around an anchor step: the
// steps that follow (or precede) each occurrence of the anchor in a
// customer's event-time-ordered, identity-stitched journey, as top paths of
// length n and as Sankey nodes and links.
package paths
