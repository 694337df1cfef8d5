package paths

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestSankey(t *testing.T) {
	nodes, links := sankey([]Path{
		{Steps: []string{"A", "B", "C"}, Occurrences: 5},
		{Steps: []string{"A", "B", "D"}, Occurrences: 2},
		{Steps: []string{"A", "C"}, Occurrences: 1},
	}, false)
	assert.Equal(t, []Node{{"0:A", "A", 0}, {"1:B", "B", 1}, {"2:C", "C", 2}, {"2:D", "D", 2}, {"1:C", "C", 1}}, nodes)
	assert.Equal(t, []Link{{"0:A", "1:B", 7}, {"1:B", "2:C", 5}, {"1:B", "2:D", 2}, {"0:A", "1:C", 1}}, links)

	nodes, _ = sankey([]Path{{Steps: []string{"X", "A"}, Occurrences: 1}}, true)
	assert.Equal(t, []Node{{"-1:X", "X", -1}, {"0:A", "A", 0}}, nodes, "previous paths end at the anchor")
}
