// Package dedup remembers recently accepted messageIds per source so that an
// SDK retry is answered as a duplicate and not produced again.
//
// Limits: it is per collector instance and in memory (a retry that reaches
// another instance, or arrives after a restart or after the window, is
// produced again). It is the first layer only: the processor's ClickHouse
// tables are keyed by the event id (source:messageId) and collapse replays,
// which is what makes duplicates invisible in query results.
package dedup

import (
	"crypto/sha256"
	"hash/maphash"
	"sync"
	"time"
)

// Set is a size- and time-bounded set of (source, messageId) pairs: entries
// expire after the window, and beyond size entries the least recently used
// (added or seen) go first. Safe for concurrent use.
//
// It holds its entries in slices without pointers (keys up to inlineKey
// bytes inline, a 64-bit hash index), so that the garbage collector does
// not have to trace a million entries on every cycle: with the
// pointer-linked LRU it replaced, marking the set took about a third of the
// collector's CPU at full load.
//
// Every entry has the same size, whatever its key: a longer key (a
// messageId may be 200 characters, up to 800 bytes) is held as the first
// 128 bits of its SHA-256 digest (digestLen bytes, inline like a short
// key). An entry costs EntryBytes: its slot plus its share of the index.
// Two different long keys are taken for the same one only if their
// digests collide: for n long keys held at once the chance is about
// n²/2¹²⁹ (1e-27 for a million), and SHA-256 gives a client no better way
// to make a collision than that birthday search (2⁶⁴ digests); a
// collision would only make the client's own second event a duplicate.
type Set struct {
	mu     sync.Mutex
	size   int
	window time.Duration // <= 0: entries do not expire
	seed   maphash.Seed
	start  time.Time
	now    func() time.Time

	// index maps a key's hash to the first slot with that hash (further
	// ones follow slot.nextHash).
	index map[uint64]int32
	// pages hold the slots, slotsPerPage each: growing never copies (or
	// stalls callers on the lock while it copies) the slots held.
	pages  [][]slot
	nslots int32
	free   int32 // first free slot, chained by lru.next; none when -1
	n      int

	// Two doubly linked lists through the slots: by recency (head is the
	// most recently used) and by expiry (head expires first).
	lru, exp list
}

// inlineKey is the longest key held inline (source, NUL and a UUID fit).
const inlineKey = 62

// digestLen is the size of what is held of a key longer than inlineKey:
// the first 128 bits of its SHA-256 digest.
const digestLen = 16

// EntryBytes is the memory an entry takes, whatever its key: its slot (104
// bytes) and its index entry (about 40 bytes of map space).
const EntryBytes = 144

const none = -1

// link is a slot's place in one of the Set's lists; list is a list's ends.
type (
	link struct{ prev, next int32 }
	list struct{ head, tail int32 }
)

type slot struct {
	hash     uint64
	expires  time.Duration // since Set.start
	lru, exp link
	nextHash int32
	keyLen   uint16 // longKey: key holds the digest of a long key
	key      [inlineKey]byte
}

// longKey marks a slot whose key was longer than inlineKey: key[:digestLen]
// is its digest.
const longKey = 0xFFFF

// New returns a Set holding at most size ids for window each. size <= 0
// disables deduplication; window <= 0 keeps ids until size evicts them.
func New(size int, window time.Duration) *Set {
	if size <= 0 {
		return &Set{}
	}
	return &Set{
		size: size, window: window, seed: maphash.MakeSeed(), start: time.Now(), now: time.Now,
		index: map[uint64]int32{}, free: none,
		lru: list{none, none}, exp: list{none, none},
	}
}

// Seen reports whether the id was added within the window (and was not
// evicted since). A seen id becomes the most recently used.
func (s *Set) Seen(source, messageID string) bool {
	if s.size == 0 {
		return false
	}
	var buf [inlineKey + 1]byte
	key := appendKey(buf[:0], source, messageID)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.expire()
	i := s.find(key)
	if i == none {
		return false
	}
	s.unlinkLRU(i)
	s.pushLRU(i)
	return true
}

// Add records ids as accepted (call it only after Kafka acknowledged them).
// An id already held is renewed: its window starts again.
func (s *Set) Add(source string, messageIDs ...string) {
	if s.size == 0 {
		return
	}
	var buf [inlineKey + 1]byte
	s.mu.Lock()
	defer s.mu.Unlock()
	s.expire()
	for _, id := range messageIDs {
		s.add(appendKey(buf[:0], source, id))
	}
}

// Len is the number of ids held.
func (s *Set) Len() int {
	if s.size == 0 {
		return 0
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.expire()
	return s.n
}

func appendKey(b []byte, source, messageID string) []byte {
	b = append(b, source...)
	b = append(b, 0)
	return append(b, messageID...)
}

func (s *Set) elapsed() time.Duration { return s.now().Sub(s.start) }

// expire drops the entries whose window has passed.
func (s *Set) expire() {
	if s.window <= 0 {
		return
	}
	now := s.elapsed()
	for s.exp.head != none && now > s.at(s.exp.head).expires {
		s.remove(s.exp.head)
	}
}

func (s *Set) add(key []byte) {
	expires := s.elapsed() + s.window
	if i := s.find(key); i != none {
		s.at(i).expires = expires
		s.unlinkLRU(i)
		s.pushLRU(i)
		s.unlinkExp(i)
		s.pushExp(i)
		return
	}
	i := s.alloc()
	sl := s.at(i)
	*sl = slot{expires: expires, nextHash: none}
	kb, keyLen := stored(key)
	sl.hash = maphash.Bytes(s.seed, kb)
	sl.keyLen = keyLen
	copy(sl.key[:], kb)
	if head, ok := s.index[sl.hash]; ok {
		sl.nextHash = head
	}
	s.index[sl.hash] = i
	s.n++
	s.pushLRU(i)
	s.pushExp(i)
	if s.n > s.size {
		s.remove(s.lru.tail)
	}
}

// stored is what a slot holds of key, and its keyLen: the key itself up to
// inlineKey bytes, beyond the first digestLen bytes of its SHA-256 digest
// (marked longKey, so that it never equals a short key of the same bytes).
func stored(key []byte) ([]byte, uint16) {
	if len(key) <= inlineKey {
		return key, uint16(len(key))
	}
	d := sha256.Sum256(key)
	return d[:digestLen], longKey
}

// find returns the slot holding key, or none.
func (s *Set) find(key []byte) int32 {
	want, keyLen := stored(key)
	h := maphash.Bytes(s.seed, want)
	i, ok := s.index[h]
	if !ok {
		return none
	}
	for ; i != none; i = s.at(i).nextHash {
		if sl := s.at(i); sl.hash == h && sl.keyLen == keyLen && string(sl.held()) == string(want) {
			return i
		}
	}
	return none
}

// held is the key bytes of a slot (the digest of a long key).
func (sl *slot) held() []byte {
	if sl.keyLen == longKey {
		return sl.key[:digestLen]
	}
	return sl.key[:sl.keyLen]
}

// slotsPerPage is the number of slots allocated at a time (about 400 KB).
const slotsPerPage = 4096

// at returns slot i.
func (s *Set) at(i int32) *slot { return &s.pages[i/slotsPerPage][i%slotsPerPage] }

func (s *Set) alloc() int32 {
	if i := s.free; i != none {
		s.free = s.at(i).lru.next
		return i
	}
	if int(s.nslots) == len(s.pages)*slotsPerPage {
		s.pages = append(s.pages, make([]slot, slotsPerPage))
	}
	s.nslots++
	return s.nslots - 1
}

// remove drops slot i from the index and both lists and frees it.
func (s *Set) remove(i int32) {
	sl := s.at(i)
	s.unlinkHash(i)
	s.unlinkLRU(i)
	s.unlinkExp(i)
	*sl = slot{lru: link{next: s.free}}
	s.free = i
	s.n--
}

func (s *Set) unlinkHash(i int32) {
	sl := s.at(i)
	head := s.index[sl.hash]
	if head == i {
		if sl.nextHash == none {
			delete(s.index, sl.hash)
		} else {
			s.index[sl.hash] = sl.nextHash
		}
		return
	}
	for j := head; j != none; j = s.at(j).nextHash {
		if s.at(j).nextHash == i {
			s.at(j).nextHash = sl.nextHash
			return
		}
	}
}

// pushFront makes i the head of list l (of selects the slots' links in l).
func (s *Set) pushFront(l *list, of func(*slot) *link, i int32) {
	*of(s.at(i)) = link{prev: none, next: l.head}
	if l.head != none {
		of(s.at(l.head)).prev = i
	} else {
		l.tail = i
	}
	l.head = i
}

// pushBack makes i the tail of list l.
func (s *Set) pushBack(l *list, of func(*slot) *link, i int32) {
	*of(s.at(i)) = link{prev: l.tail, next: none}
	if l.tail != none {
		of(s.at(l.tail)).next = i
	} else {
		l.head = i
	}
	l.tail = i
}

// unlink takes i out of list l.
func (s *Set) unlink(l *list, of func(*slot) *link, i int32) {
	k := of(s.at(i))
	if k.prev != none {
		of(s.at(k.prev)).next = k.next
	} else {
		l.head = k.next
	}
	if k.next != none {
		of(s.at(k.next)).prev = k.prev
	} else {
		l.tail = k.prev
	}
	*k = link{prev: none, next: none}
}

func lruOf(sl *slot) *link { return &sl.lru }
func expOf(sl *slot) *link { return &sl.exp }

// The two lists: by recency (head most recently used) and by expiry (head
// expires first: every entry gets the same window, so the latest added
// expires last).
func (s *Set) pushLRU(i int32)   { s.pushFront(&s.lru, lruOf, i) }
func (s *Set) unlinkLRU(i int32) { s.unlink(&s.lru, lruOf, i) }
func (s *Set) pushExp(i int32)   { s.pushBack(&s.exp, expOf, i) }
func (s *Set) unlinkExp(i int32) { s.unlink(&s.exp, expOf, i) }
