package svgchart

import (
	"encoding/xml"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestWrite(t *testing.T) {
	var b strings.Builder
	require.NoError(t, Write(&b, "t <&>", []Panel{{Title: "eps", Unit: "events/s", Bars: []Bar{{Label: "a", Value: 100}, {Label: "b", Value: 0}}}}))
	s := b.String()
	dec := xml.NewDecoder(strings.NewReader(s))
	for {
		_, err := dec.Token()
		if err != nil {
			assert.Equal(t, "EOF", err.Error(), "well-formed XML")
			break
		}
	}
	assert.Equal(t, 2, strings.Count(s, "<rect x="))
	assert.Contains(t, s, "t &lt;&amp;&gt;")
}
