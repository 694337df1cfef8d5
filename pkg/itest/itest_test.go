package itest_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cemhq/cem/pkg/itest"
)

func TestDatabaseName(t *testing.T) {
	a, b := itest.DatabaseName("TestX/sub case-1"), itest.DatabaseName("TestX/sub case-1")
	assert.NotEqual(t, a, b)
	assert.Regexp(t, `^it_testx_sub_case_1_[0-9a-f]{8}$`, a)
	assert.LessOrEqual(t, len(itest.DatabaseName(string(make([]byte, 200)))), 3+40+1+8)
}

func TestEventually(t *testing.T) {
	n := 0
	itest.Eventually(t, time.Second, func() bool { n++; return n == 3 }, "third call")
	assert.Equal(t, 3, n)
}

func TestClickHouseIntegration(t *testing.T) {
	conn, addr, db := itest.ClickHouse(t)
	assert.NotEmpty(t, addr)
	var got string
	require.NoError(t, conn.QueryRow(context.Background(), "SELECT currentDatabase()").Scan(&got))
	assert.Equal(t, db, got)
	require.NoError(t, conn.Exec(context.Background(), "CREATE TABLE t (x UInt8) ENGINE = Memory"))
}

func TestKafka(t *testing.T) {
	b := itest.Kafka(t)
	assert.Contains(t, b.Addr(), "127.0.0.1:")
}
