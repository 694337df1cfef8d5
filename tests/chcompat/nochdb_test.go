//go:build !chdb

package chcompat

import (
	"testing"

	"github.com/cemhq/cem/pkg/itest"
)

// TestNeedsChdbTag stands for the suite in a build without the chdb tag:
// chdb-go loads libchdb.so when the test binary starts, so the suite is
// built only with -tags chdb (scripts/test.sh's compatibility stage).
func TestNeedsChdbTag(t *testing.T) {
	msg := "the ClickHouse 26 suite needs -tags chdb and CHDB_LIB_PATH=$(scripts/chdb.sh fetch); scripts/test.sh runs it"
	if itest.Required() {
		t.Fatal(msg)
	}
	t.Skip(msg)
}
