package dedup

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/golang-lru/v2/expirable"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeClock replaces the Set's clock.
func withClock(s *Set) *time.Time {
	t := s.start
	s.now = func() time.Time { return t }
	return &t
}

func TestSeenAfterAdd(t *testing.T) {
	s := New(10, time.Hour)
	assert.False(t, s.Seen("web", "m1"))
	s.Add("web", "m1", "m2")
	assert.True(t, s.Seen("web", "m1"))
	assert.True(t, s.Seen("web", "m2"))
	assert.False(t, s.Seen("app", "m1"), "ids are per source")
	assert.False(t, s.Seen("web", "m3"))
	assert.False(t, s.Seen("we", "b\x00m1"), "source and id do not run together")
	assert.Equal(t, 2, s.Len())
}

func TestDisabled(t *testing.T) {
	s := New(0, time.Hour)
	s.Add("web", "m1")
	assert.False(t, s.Seen("web", "m1"))
	assert.Equal(t, 0, s.Len())
}

func TestWindow(t *testing.T) {
	s := New(10, time.Minute)
	now := withClock(s)
	s.Add("web", "a")
	*now = now.Add(30 * time.Second)
	s.Add("web", "b")
	*now = now.Add(30 * time.Second) // a's window ends now: still seen
	assert.True(t, s.Seen("web", "a"))
	*now = now.Add(time.Nanosecond)
	assert.False(t, s.Seen("web", "a"), "after the window")
	assert.True(t, s.Seen("web", "b"))
	assert.Equal(t, 1, s.Len(), "expired ids are dropped")
	s.Add("web", "b") // renewed
	*now = now.Add(59 * time.Second)
	assert.True(t, s.Seen("web", "b"))
}

func TestLeastRecentlyUsedGoesFirst(t *testing.T) {
	s := New(3, time.Hour)
	s.Add("web", "a", "b", "c")
	assert.True(t, s.Seen("web", "a")) // a is now the most recent: b goes first
	s.Add("web", "d")
	assert.False(t, s.Seen("web", "b"))
	for _, id := range []string{"a", "c", "d"} {
		assert.True(t, s.Seen("web", id), id)
	}
	assert.Equal(t, 3, s.Len())
}

func TestLongKeys(t *testing.T) {
	s := New(2, time.Hour)
	long := strings.Repeat("x", 300)
	s.Add("web", long)
	assert.True(t, s.Seen("web", long))
	assert.False(t, s.Seen("web", long[1:]))
	s.Add("web", "a", "b") // evicts the long one
	assert.False(t, s.Seen("web", long))
	assert.Len(t, s.index, 2)
	// A long key is held as its digest, never equal to a short key of the
	// digest's bytes.
	d, _ := stored(appendKey(nil, "web", long))
	s.Add("web", long)
	assert.False(t, s.Seen(string(d[:3]), string(d[4:])))
	assert.True(t, s.Seen("web", long))
}

// Every entry takes the same memory whatever its key: ids of 800 bytes (200
// four-byte characters, the most a messageId may be) cost what UUIDs cost,
// within EntryBytes. Before long keys were hashed, they took ~1070 B each
// (1M entries ~1 GB).
func TestEntryMemoryIsFixed(t *testing.T) {
	const count = 100_000
	perEntry := func(id func(i int) string) float64 {
		s := New(count, time.Hour)
		ids := make([]string, count)
		for i := range ids {
			ids[i] = id(i)
		}
		before := heapInUse()
		for _, id := range ids {
			s.Add("web", id)
		}
		after := heapInUse()
		require.Equal(t, count, s.Len())
		runtime.KeepAlive(ids)
		runtime.KeepAlive(s)
		return float64(after-before) / count
	}
	uuidLike := perEntry(func(i int) string { return fmt.Sprintf("%036d", i) })
	long := perEntry(func(i int) string { return fmt.Sprint(i) + strings.Repeat("\U0001F600", 199) })
	t.Logf("bytes per entry: 36-byte ids %.0f, ~800-byte ids %.0f", uuidLike, long)
	assert.LessOrEqual(t, long, float64(EntryBytes))
	assert.LessOrEqual(t, uuidLike, float64(EntryBytes))
}

func heapInUse() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// Keys that share a 64-bit hash are told apart by their bytes.
func TestHashCollisions(t *testing.T) {
	s := New(100, time.Hour)
	// Force collisions: every inline key in one chain.
	for i := range 20 {
		key := appendKey(nil, "web", fmt.Sprint(i))
		j := s.alloc()
		*s.at(j) = slot{hash: 42, nextHash: none}
		s.at(j).keyLen = uint16(copy(s.at(j).key[:], key))
		if head, ok := s.index[42]; ok {
			s.at(j).nextHash = head
		}
		s.index[42] = j
		s.n++
		s.pushLRU(j)
		s.pushExp(j)
	}
	for i := range 20 {
		key := appendKey(nil, "web", fmt.Sprint(i))
		j := s.index[42]
		found := false
		for ; j != none; j = s.at(j).nextHash {
			if string(s.at(j).key[:s.at(j).keyLen]) == string(key) {
				found = true
			}
		}
		require.True(t, found)
	}
	for _, i := range []int32{0, 10, 19, 5} { // head, middle, tail of the chain
		s.remove(i)
	}
	n := 0
	for j := s.index[42]; j != none; j = s.at(j).nextHash {
		n++
	}
	assert.Equal(t, 16, n)
}

// Within the window, the Set answers exactly as the expirable LRU it
// replaced, for random adds and lookups beyond its size.
func TestMatchesExpirableLRU(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, size := range []int{1, 2, 7, 64} {
		s := New(size, time.Hour)
		ref := expirable.NewLRU[string, struct{}](size, nil, time.Hour)
		for op := range 20000 {
			src := []string{"web", "app"}[r.IntN(2)]
			id := fmt.Sprint(r.IntN(3 * size))
			if r.IntN(10) == 0 {
				id += strings.Repeat("L", 80)
			}
			if r.IntN(2) == 0 {
				_, want := ref.Get(src + "\x00" + id)
				require.Equal(t, want, s.Seen(src, id), "size %d op %d seen %s %s", size, op, src, id)
			} else {
				ref.Add(src+"\x00"+id, struct{}{})
				s.Add(src, id)
			}
			require.Equal(t, ref.Len(), s.Len(), "size %d op %d", size, op)
		}
	}
}
