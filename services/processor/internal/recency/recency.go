// Package recency is an intrusive recency list for the processor's
// in-memory state: the held values carry the list's links themselves
// (embed Links), so keeping a value in least-recently-used order costs two
// pointers per value and no separate entry or second map. The session
// stage and the identity graph each index their values in their own map and
// order them with a List; the generic LRU they replaced spent about 160
// bytes per value on entries, a fifth to a quarter of the state at 1M keys.
//
// A List also numbers generations (the processor's flushes): Touch stamps a
// value with the current one, Advance starts the next, Complete marks the
// oldest open one complete (its rows are written), and Pending tells
// whether a value was used by a generation not yet complete, so that the
// stages neither evict nor re-read it while its rows are in flight.
package recency

// Links are the list pointers a value embeds.
type Links[T any] struct {
	newer, older *T
	in           bool
	gen          int // the List's generation when last touched
}

func (l *Links[T]) links() *Links[T] { return l }

// Node is a pointer to a value that embeds Links.
type Node[T any] interface {
	*T
	links() *Links[T]
}

// List orders values from the least to the most recently used. The zero
// List is empty and ready. Not safe for concurrent use.
type List[T any, P Node[T]] struct {
	newest, oldest *T
	n              int
	// advanced and completed count Advance and Complete calls: the current
	// generation is advanced+1, the complete ones are 1..completed.
	advanced, completed int
}

// Advance starts the next generation: later touches belong to it.
func (l *List[T, P]) Advance() { l.advanced++ }

// Complete marks the oldest generation not yet complete as complete.
func (l *List[T, P]) Complete() { l.completed++ }

// Pending reports whether x was touched by a generation not yet complete.
func (l *List[T, P]) Pending(x P) bool { return x.links().gen > l.completed }

// Len is the number of values in the list.
func (l *List[T, P]) Len() int { return l.n }

// Oldest is the least recently used value (nil when empty).
func (l *List[T, P]) Oldest() P { return l.oldest }

// Newer is the value used after x (nil for the newest).
func Newer[T any, P Node[T]](x P) P { return x.links().newer }

// Touch makes x the most recently used, adding it when it is not in the
// list.
func (l *List[T, P]) Touch(x P) {
	lk := x.links()
	if lk.in {
		if l.newest == (*T)(x) {
			lk.gen = l.advanced + 1
			return
		}
		l.unlink(x)
	}
	lk.older, lk.newer, lk.in = l.newest, nil, true
	lk.gen = l.advanced + 1
	if l.newest != nil {
		P(l.newest).links().newer = x
	} else {
		l.oldest = x
	}
	l.newest = x
	l.n++
}

// Remove takes x out of the list (nothing when it is not in it).
func (l *List[T, P]) Remove(x P) {
	if x.links().in {
		l.unlink(x)
	}
}

// Clear empties the list, calling each for every value from the oldest,
// and drops the generations not yet complete (nothing is pending after).
func (l *List[T, P]) Clear(each func(P)) {
	for x := P(l.oldest); x != nil; {
		lk := x.links()
		next := P(lk.newer)
		*lk = Links[T]{}
		if each != nil {
			each(x)
		}
		x = next
	}
	*l = List[T, P]{}
}

func (l *List[T, P]) unlink(x P) {
	lk := x.links()
	if lk.older != nil {
		P(lk.older).links().newer = lk.newer
	} else {
		l.oldest = lk.newer
	}
	if lk.newer != nil {
		P(lk.newer).links().older = lk.older
	} else {
		l.newest = lk.older
	}
	*lk = Links[T]{}
	l.n--
}
