package topic

import (
	"strings"
	"sync"
)

// Tree is a subscription trie: it maps topic filters to the subscribers
// (keys) subscribed to them, each with a value such as its subscription
// options, and finds every subscriber whose filter matches a topic name.
//
// The tree does not validate filters or names (see ValidFilter and ValidName)
// and knows nothing of shared subscriptions: a broker adds the inner filter of
// "$share/{group}/{filter}" with a key that encodes the group. Any string is
// accepted and matched with the rules of Match.
//
// A Tree is safe for concurrent use: any number of Match calls run in
// parallel with each other, and Add and Remove take an exclusive lock.
type Tree[K comparable, V any] struct {
	mu    sync.RWMutex
	root  node[K, V]
	pairs int // (filter, key) pairs
	nodes int // nodes below the root; 0 when the tree is empty
}

// Kinds of node, by how they hang from their parent.
const (
	kindLiteral uint8 = iota // in parent.kids or parent.kidMap
	kindPlus                 // parent.plus: a "+" level
	kindHash                 // parent.hash: a last "#" level
)

// node is one level of a filter. Wildcard children have their own pointers
// so Match finds them without a lookup. Literal children are kept in a small
// slice, scanned without hashing, until there are more than maxKids; then in
// a map.
type node[K comparable, V any] struct {
	parent *node[K, V]
	level  string // the level's text, for kindLiteral
	kind   uint8
	kids   []kid[K, V]            // literal children while few; nil when kidMap is used
	kidMap map[string]*node[K, V] // literal children when many
	peak   int                    // largest len(kidMap) since it was made
	plus   *node[K, V]
	hash   *node[K, V]
	subs   subs[K, V]
}

// kid is a literal child kept inline, with its level next to the pointer so
// a scan does not dereference the children it skips.
type kid[K comparable, V any] struct {
	level string
	n     *node[K, V]
}

// maxKids is the number of literal children above which a node switches from
// a scanned slice to a map. Scanning a few short strings, most rejected on
// their length, beats hashing the level; a one-child slice is also a tenth of
// the size of a small map (see BenchmarkMatch).
const maxKids = 8

// lookup returns the literal child for level, or nil.
func (n *node[K, V]) lookup(level string) *node[K, V] {
	if n.kidMap != nil {
		return n.kidMap[level]
	}
	for i := range n.kids {
		if n.kids[i].level == level {
			return n.kids[i].n
		}
	}
	return nil
}

// numKids returns the number of literal children.
func (n *node[K, V]) numKids() int {
	if n.kidMap != nil {
		return len(n.kidMap)
	}
	return len(n.kids)
}

// addKid links the new literal child c under n.
func (n *node[K, V]) addKid(c *node[K, V]) {
	if n.kidMap != nil {
		n.kidMap[c.level] = c
		n.peak = max(n.peak, len(n.kidMap))
		return
	}
	if len(n.kids) < maxKids {
		n.kids = append(n.kids, kid[K, V]{c.level, c})
		return
	}
	n.kidMap = make(map[string]*node[K, V], 2*maxKids)
	for _, k := range n.kids {
		n.kidMap[k.level] = k.n
	}
	n.kids = nil
	n.kidMap[c.level] = c
	n.peak = len(n.kidMap)
}

// removeKid unlinks the literal child c from n and gives memory back after
// churn: Go maps never shrink, so a map down to a quarter of its peak is
// rebuilt, and one down to maxKids/2 becomes a slice again.
func (n *node[K, V]) removeKid(c *node[K, V]) {
	if n.kidMap == nil {
		for i := range n.kids {
			if n.kids[i].n == c {
				last := len(n.kids) - 1
				n.kids[i] = n.kids[last]
				n.kids[last] = kid[K, V]{}
				n.kids = n.kids[:last]
				break
			}
		}
		if len(n.kids) == 0 {
			n.kids = nil
		}
		return
	}
	delete(n.kidMap, c.level)
	switch l := len(n.kidMap); {
	case l <= maxKids/2:
		n.kids = make([]kid[K, V], 0, maxKids)
		for level, k := range n.kidMap {
			n.kids = append(n.kids, kid[K, V]{level, k})
		}
		n.kidMap, n.peak = nil, 0
	case l <= n.peak/4:
		m := make(map[string]*node[K, V], l)
		for level, k := range n.kidMap {
			m[level] = k
		}
		n.kidMap, n.peak = m, l
	}
}

// NewTree returns an empty Tree.
func NewTree[K comparable, V any]() *Tree[K, V] {
	return &Tree[K, V]{}
}

// Add subscribes key to filter with value val. If the pair (filter, key) is
// already present its value is replaced [MQTT-3.8.4-3]. Add reports whether
// the pair is new.
func (t *Tree[K, V]) Add(filter string, key K, val V) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := &t.root
	for {
		level, rest, more := cut(filter)
		n = t.child(n, level, more)
		if !more {
			break
		}
		filter = rest
	}
	if !n.subs.set(key, val) {
		return false
	}
	t.pairs++
	return true
}

// child returns the child of n for one filter level, creating it if needed.
// A "#" level is a wildcard only when it is the last level, as in Match.
func (t *Tree[K, V]) child(n *node[K, V], level string, more bool) *node[K, V] {
	switch {
	case level == "#" && !more:
		if n.hash == nil {
			n.hash = &node[K, V]{parent: n, kind: kindHash}
			t.nodes++
		}
		return n.hash
	case level == "+":
		if n.plus == nil {
			n.plus = &node[K, V]{parent: n, kind: kindPlus}
			t.nodes++
		}
		return n.plus
	}
	if c := n.lookup(level); c != nil {
		return c
	}
	// Clone so the tree does not keep the caller's whole filter (often a
	// slice of a packet buffer) alive for one level.
	c := &node[K, V]{parent: n, level: strings.Clone(level), kind: kindLiteral}
	n.addKid(c)
	t.nodes++
	return c
}

// Remove unsubscribes key from filter and reports whether the pair existed.
// Nodes left empty are freed.
func (t *Tree[K, V]) Remove(filter string, key K) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := &t.root
	for n != nil {
		level, rest, more := cut(filter)
		switch {
		case level == "#" && !more:
			n = n.hash
		case level == "+":
			n = n.plus
		default:
			n = n.lookup(level)
		}
		if !more {
			break
		}
		filter = rest
	}
	if n == nil || !n.subs.remove(key) {
		return false
	}
	t.pairs--
	t.prune(n)
	return true
}

// prune frees n and its ancestors while they are empty.
func (t *Tree[K, V]) prune(n *node[K, V]) {
	for n != &t.root && n.empty() {
		p := n.parent
		switch n.kind {
		case kindHash:
			p.hash = nil
		case kindPlus:
			p.plus = nil
		default:
			p.removeKid(n)
		}
		n.parent = nil
		t.nodes--
		n = p
	}
}

// empty reports whether n holds no subscription and no child.
func (n *node[K, V]) empty() bool {
	return len(n.subs.list) == 0 && n.numKids() == 0 && n.plus == nil && n.hash == nil
}

// Len returns the number of (filter, key) pairs in the tree.
func (t *Tree[K, V]) Len() int {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return t.pairs
}

// Match calls fn(key, val) for every subscription whose filter matches the
// topic name, by the rules of the package-level Match. A key subscribed
// through several matching filters is reported once per filter; the caller
// merges them (MQTT 5.0 section 4.7.3 lets it deliver once). The order is
// unspecified.
//
// fn runs with the tree's read lock held: it must not call any method of the
// same tree (Add and Remove deadlock; a nested Match or Len can deadlock
// behind a waiting writer) and should be quick. Match does not allocate.
func (t *Tree[K, V]) Match(name string, fn func(key K, val V)) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	if len(name) > 0 && name[0] == '$' {
		// A '$' name skips the root's "+" and "#" children [MQTT-4.7.2-1].
		level, rest, more := cut(name)
		if c := t.root.lookup(level); c != nil {
			c.next(rest, more, fn)
		}
		return
	}
	t.root.match(name, fn)
}

// match reports the subscriptions below n that match name, the part of the
// topic name from the level under n onwards.
func (n *node[K, V]) match(name string, fn func(K, V)) {
	if n.hash != nil {
		n.hash.emit(fn)
	}
	level, rest, more := cut(name)
	if c := n.lookup(level); c != nil {
		c.next(rest, more, fn)
	}
	if n.plus != nil {
		n.plus.next(rest, more, fn)
	}
}

// next continues a match at n, which matched one level of the name; rest
// and more are what cut left of the name after that level.
func (n *node[K, V]) next(rest string, more bool, fn func(K, V)) {
	if more {
		n.match(rest, fn)
		return
	}
	n.emit(fn)
	if n.hash != nil {
		n.hash.emit(fn) // "a/#" matches "a" [MQTT-4.7.1-2]
	}
}

// emit reports every subscription stored at n.
func (n *node[K, V]) emit(fn func(K, V)) {
	for i := range n.subs.list {
		fn(n.subs.list[i].key, n.subs.list[i].val)
	}
}
