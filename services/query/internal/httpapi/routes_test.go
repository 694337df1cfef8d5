package httpapi

import (
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestOpenAPICoversRoutes checks that schemas/openapi/query.yaml documents
// every route with its method.
func TestOpenAPICoversRoutes(t *testing.T) {
	b, err := os.ReadFile("../../../../schemas/openapi/query.yaml")
	require.NoError(t, err)
	doc := string(b)
	for _, r := range (&server{}).routes() {
		method, path, _ := strings.Cut(r.pattern, " ")
		i := strings.Index(doc, "\n  "+path+":\n")
		require.GreaterOrEqual(t, i, 0, "path %s is not documented", path)
		section := doc[i+1:]
		if j := strings.Index(section[3:], "\n  /"); j >= 0 {
			section = section[:j+3]
		}
		assert.Contains(t, section, "\n    "+strings.ToLower(method)+":", "%s is not documented", r.pattern)
	}
}
