package topic

import (
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

// hit is one (key, val) pair reported by Tree.Match.
type hit struct {
	key string
	val int
}

// collect returns what t.Match(name) reports, sorted.
func collect(t *Tree[string, int], name string) []hit {
	var hits []hit
	t.Match(name, func(k string, v int) { hits = append(hits, hit{k, v}) })
	slices.SortFunc(hits, func(a, b hit) int {
		if a.key != b.key {
			if a.key < b.key {
				return -1
			}
			return 1
		}
		return a.val - b.val
	})
	return hits
}

// nodeCount returns the tree's node count, read under its lock.
func nodeCount[K comparable, V any](t *Tree[K, V]) int {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return t.nodes
}

// walkCount counts nodes below the root by walking the tree, to check the
// nodes counter and the parent links.
func walkCount[K comparable, V any](tb testing.TB, n *node[K, V]) int {
	count := 0
	visit := func(c *node[K, V]) {
		require.Same(tb, n, c.parent)
		require.False(tb, c.empty(), "empty node kept")
		count += 1 + walkCount(tb, c)
	}
	require.False(tb, n.kids != nil && n.kidMap != nil, "both slice and map")
	require.LessOrEqual(tb, len(n.kids), maxKids)
	for _, k := range n.kids {
		require.Equal(tb, k.level, k.n.level)
		visit(k.n)
	}
	for level, c := range n.kidMap {
		require.Equal(tb, level, c.level)
		visit(c)
	}
	if n.plus != nil {
		visit(n.plus)
	}
	if n.hash != nil {
		visit(n.hash)
	}
	return count
}

func TestTreeMatchTable(t *testing.T) {
	for _, tt := range matchTests {
		t.Run(fmt.Sprintf("%s~%s", tt.filter, tt.name), func(t *testing.T) {
			tr := NewTree[string, int]()
			require.True(t, tr.Add(tt.filter, "c", 1))
			got := collect(tr, tt.name)
			if tt.want {
				require.Equal(t, []hit{{"c", 1}}, got)
			} else {
				require.Empty(t, got)
			}
			require.True(t, tr.Remove(tt.filter, "c"))
			require.Zero(t, nodeCount(tr))
		})
	}
}

func TestTreeAddReplaceRemove(t *testing.T) {
	tr := NewTree[string, int]()
	require.Zero(t, tr.Len())
	require.Empty(t, collect(tr, "a/b"))

	require.True(t, tr.Add("a/b", "c1", 1))
	require.True(t, tr.Add("a/b", "c2", 2))
	require.True(t, tr.Add("a/+", "c1", 3))
	require.Equal(t, 3, tr.Len())
	require.Equal(t, []hit{{"c1", 1}, {"c1", 3}, {"c2", 2}}, collect(tr, "a/b"))

	// Re-subscribing replaces the value [MQTT-3.8.4-3].
	require.False(t, tr.Add("a/b", "c1", 10))
	require.Equal(t, 3, tr.Len())
	require.Equal(t, []hit{{"c1", 3}, {"c1", 10}, {"c2", 2}}, collect(tr, "a/b"))
	require.Equal(t, []hit{{"c1", 3}}, collect(tr, "a/x"))

	require.False(t, tr.Remove("a/b", "nobody"))
	require.False(t, tr.Remove("a/c", "c1"))
	require.False(t, tr.Remove("a/#", "c1"))
	require.False(t, tr.Remove("x/y/z", "c1"))
	require.False(t, tr.Remove("a", "c1"))
	require.Equal(t, 3, tr.Len())

	require.True(t, tr.Remove("a/b", "c1"))
	require.False(t, tr.Remove("a/b", "c1"))
	require.Equal(t, []hit{{"c1", 3}, {"c2", 2}}, collect(tr, "a/b"))
	require.True(t, tr.Remove("a/+", "c1"))
	require.True(t, tr.Remove("a/b", "c2"))
	require.Zero(t, tr.Len())
	require.Empty(t, collect(tr, "a/b"))
	require.Zero(t, nodeCount(tr))
	require.True(t, tr.root.empty())
}

func TestTreeOverlappingFilters(t *testing.T) {
	tr := NewTree[string, int]()
	filters := []string{"#", "sport/#", "sport/tennis/#", "sport/+/player1", "+/tennis/+", "sport/tennis/player1", "sport/tennis/player1/#"}
	for i, f := range filters {
		require.True(t, tr.Add(f, "c", i))
	}
	require.True(t, tr.Add("sport/tennis/player2", "c", 99))
	require.True(t, tr.Add("sport/tennis/player1", "other", 7))
	// Once per matching filter, for the same key.
	require.Equal(t, []hit{{"c", 0}, {"c", 1}, {"c", 2}, {"c", 3}, {"c", 4}, {"c", 5}, {"c", 6}, {"other", 7}},
		collect(tr, "sport/tennis/player1"))
	require.Equal(t, []hit{{"c", 0}, {"c", 1}}, collect(tr, "sport"))
	require.Equal(t, []hit{{"c", 0}, {"c", 1}, {"c", 2}, {"c", 6}}, collect(tr, "sport/tennis/player1/ranking"))
}

func TestTreeDollarTopics(t *testing.T) {
	tr := NewTree[string, int]()
	for i, f := range []string{"#", "+", "+/#", "+/monitor/Clients", "$SYS/#", "$SYS/monitor/+", "$SYS"} {
		tr.Add(f, "c", i)
	}
	require.Equal(t, []hit{{"c", 4}, {"c", 5}}, collect(tr, "$SYS/monitor/Clients"))
	require.Equal(t, []hit{{"c", 4}, {"c", 6}}, collect(tr, "$SYS"))
	require.Empty(t, collect(tr, "$other/monitor/Clients"))
	require.Equal(t, []hit{{"c", 0}, {"c", 2}, {"c", 3}}, collect(tr, "x/monitor/Clients"))
}

func TestTreePruning(t *testing.T) {
	tr := NewTree[int, struct{}]()
	filters := []string{"a", "a/b", "a/b/c", "a/+/c", "a/#", "+", "#", "+/+/+/#", "/", "//", "a//b", "$SYS/#", "x/y/z/w/v"}
	for round := range 3 {
		for key := range 40 {
			for _, f := range filters {
				require.True(t, tr.Add(f, key, struct{}{}))
			}
		}
		require.Equal(t, 40*len(filters), tr.Len())
		require.Equal(t, nodeCount(tr), walkCount(t, &tr.root))
		// Remove in an order different from insertion.
		for key := 39; key >= 0; key-- {
			for i := range filters {
				f := filters[(i+key+round)%len(filters)]
				require.True(t, tr.Remove(f, key), "round %d key %d filter %q", round, key, f)
			}
			require.Equal(t, nodeCount(tr), walkCount(t, &tr.root))
		}
		require.Zero(t, tr.Len())
		require.Zero(t, nodeCount(tr))
		require.True(t, tr.root.empty())
		require.Nil(t, tr.root.kids)
		require.Nil(t, tr.root.kidMap)
	}
}

func TestTreeChurnReleasesMemory(t *testing.T) {
	tr := NewTree[int, int]()
	const n = 1000
	for i := range n {
		tr.Add(fmt.Sprintf("dev/%d", i), i, i)
		tr.Add("fan/out", i, i)
	}
	for i := 1; i < n; i++ {
		require.True(t, tr.Remove(fmt.Sprintf("dev/%d", i), i))
		require.True(t, tr.Remove("fan/out", i))
	}
	dev := tr.root.lookup("dev")
	require.Equal(t, 1, dev.numKids())
	require.Nil(t, dev.kidMap, "children map kept after churn")
	fan := tr.root.lookup("fan").lookup("out")
	require.Len(t, fan.subs.list, 1)
	require.LessOrEqual(t, cap(fan.subs.list), 2*indexMin)
	require.Nil(t, fan.subs.index)
	require.Equal(t, []hit{{"0", 0}}, hitsInt(tr, "fan/out"))
	require.Equal(t, []hit{{"0", 0}}, hitsInt(tr, "dev/0"))
	require.Equal(t, 4, nodeCount(tr)) // dev, dev/0, fan, fan/out
}

// hitsInt is collect for a Tree[int, int].
func hitsInt(t *Tree[int, int], name string) []hit {
	var hits []hit
	t.Match(name, func(k, v int) { hits = append(hits, hit{fmt.Sprint(k), v}) })
	return hits
}

func TestTreeLargeFanOut(t *testing.T) {
	// Crosses indexMin both ways so the slice+index bookkeeping is checked.
	tr := NewTree[int, int]()
	const n = 200
	for i := range n {
		require.True(t, tr.Add("alerts/#", i, i))
	}
	for i := range n {
		require.False(t, tr.Add("alerts/#", i, i*10))
	}
	check := func(want map[int]int) {
		t.Helper()
		got := map[int]int{}
		tr.Match("alerts/fire", func(k, v int) {
			_, dup := got[k]
			require.False(t, dup, "key %d reported twice", k)
			got[k] = v
		})
		require.Equal(t, want, got)
	}
	want := map[int]int{}
	for i := range n {
		want[i] = i * 10
	}
	check(want)
	for i := 0; i < n; i += 2 {
		require.True(t, tr.Remove("alerts/#", i))
		delete(want, i)
		require.False(t, tr.Remove("alerts/#", i))
	}
	check(want)
	for i := 1; i < n-3; i += 2 {
		require.True(t, tr.Remove("alerts/#", i))
		delete(want, i)
	}
	check(want)
	require.Equal(t, len(want), tr.Len())
	for k := range want {
		require.False(t, tr.Add("alerts/#", k, -k))
		want[k] = -k
	}
	check(want)
}

func TestTreeMatchAllocs(t *testing.T) {
	tr := NewTree[int, byte]()
	for i := range 100 {
		tr.Add(fmt.Sprintf("site/%d/device/%d/temp", i%5, i), i, 1)
		tr.Add(fmt.Sprintf("site/%d/device/+/temp", i%5), i, 1)
		tr.Add(fmt.Sprintf("site/%d/#", i%5), i, 1)
		tr.Add("+/+/device/+/+", i, 1)
		tr.Add("#", i, 0)
	}
	count := 0
	allocs := testing.AllocsPerRun(200, func() {
		count = 0
		tr.Match("site/3/device/13/temp", func(int, byte) { count++ })
	})
	require.Equal(t, 1+20+20+100+100, count)
	require.Zero(t, allocs)
}

func TestTreeConcurrent(t *testing.T) {
	tr := NewTree[int, int]()
	// Stable subscriptions that every Match must see throughout.
	tr.Add("site/+/device/#", -1, 0)
	tr.Add("#", -2, 0)
	const (
		writers = 4
		readers = 4
		rounds  = 300
	)
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for r := range rounds {
				key := w*rounds + r
				f := fmt.Sprintf("site/%d/device/%d/#", r%7, r)
				if !tr.Add(f, key, r) {
					t.Errorf("add %q %d: not new", f, key)
					return
				}
				tr.Add("site/+/device/+/temp", key, r)
				if r%3 != 0 {
					if !tr.Remove(f, key) || !tr.Remove("site/+/device/+/temp", key) {
						t.Errorf("remove %q %d: missing", f, key)
						return
					}
				}
			}
		})
	}
	for range readers {
		wg.Go(func() {
			for r := range rounds {
				stable := 0
				tr.Match(fmt.Sprintf("site/%d/device/%d/temp", r%7, r), func(k, _ int) {
					if k < 0 {
						stable++
					}
				})
				if stable != 2 {
					t.Errorf("match saw %d stable subscriptions, want 2", stable)
					return
				}
				_ = tr.Len()
			}
		})
	}
	wg.Wait()
	kept := 0
	for r := range rounds {
		if r%3 == 0 {
			kept++
		}
	}
	require.Equal(t, 2+2*writers*kept, tr.Len())
	require.Equal(t, nodeCount(tr), walkCount(t, &tr.root))
}
