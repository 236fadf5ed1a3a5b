package topic

// indexMin is the number of subscribers at which a node starts to keep a
// key -> position index next to its slice. Below it a linear scan is faster
// than hashing and costs no memory; above it Add and Remove stay O(1) for
// topics with a large fan-out. Match always iterates the slice.
const indexMin = 16

// entry is one subscription stored at a node.
type entry[K comparable, V any] struct {
	key K
	val V
}

// subs is the set of subscriptions ending at one node: a dense slice that
// Match iterates, plus an index from key to slice position once the set is
// large.
type subs[K comparable, V any] struct {
	list  []entry[K, V]
	index map[K]int
}

// find returns the position of key in s.list, or -1.
func (s *subs[K, V]) find(key K) int {
	if s.index != nil {
		if i, ok := s.index[key]; ok {
			return i
		}
		return -1
	}
	for i := range s.list {
		if s.list[i].key == key {
			return i
		}
	}
	return -1
}

// set adds or replaces the value of key and reports whether key is new.
func (s *subs[K, V]) set(key K, val V) bool {
	if i := s.find(key); i >= 0 {
		s.list[i].val = val // [MQTT-3.8.4-3]
		return false
	}
	s.list = append(s.list, entry[K, V]{key, val})
	switch {
	case s.index != nil:
		s.index[key] = len(s.list) - 1
	case len(s.list) >= indexMin:
		s.reindex()
	}
	return true
}

// remove deletes key and reports whether it was present. The order of the
// remaining entries is not kept.
func (s *subs[K, V]) remove(key K) bool {
	i := s.find(key)
	if i < 0 {
		return false
	}
	last := len(s.list) - 1
	if i != last {
		s.list[i] = s.list[last]
		if s.index != nil {
			s.index[s.list[i].key] = i
		}
	}
	s.list[last] = entry[K, V]{} // drop references for the GC
	s.list = s.list[:last]
	if s.index != nil {
		delete(s.index, key)
	}
	s.shrink()
	return true
}

// shrink gives memory back after churn: a small set drops its index (a scan
// is as fast), and a slice at most a quarter full is copied to a smaller one
// with its index rebuilt at the new size (Go maps never shrink). The cost is
// amortised over the removals that emptied the slice.
func (s *subs[K, V]) shrink() {
	n := len(s.list)
	if n == 0 {
		s.list, s.index = nil, nil
		return
	}
	if n < indexMin/2 {
		// Hysteresis: the index comes back at indexMin, so a set that
		// hovers around the threshold does not rebuild it every time.
		s.index = nil
	}
	if cap(s.list) < 2*indexMin || n > cap(s.list)/4 {
		return
	}
	list := make([]entry[K, V], n, 2*n)
	copy(list, s.list)
	s.list = list
	if s.index != nil {
		s.reindex()
	}
}

// reindex rebuilds the index from the slice.
func (s *subs[K, V]) reindex() {
	s.index = make(map[K]int, len(s.list))
	for i := range s.list {
		s.index[s.list[i].key] = i
	}
}
