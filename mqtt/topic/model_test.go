package topic

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestTreeModel runs random subscribes and unsubscribes against a map of
// (filter, key) -> value and checks every Match against the reference Match
// over that map. Levels come from a wide alphabet so nodes cross maxKids and
// indexMin in both directions.
func TestTreeModel(t *testing.T) {
	type pair struct {
		filter string
		key    int
	}
	rng := rand.New(rand.NewPCG(7, 11))
	level := func() string {
		switch r := rng.IntN(40); {
		case r < 4:
			return "+"
		case r < 6:
			return ""
		case r == 6:
			return "$x"
		default:
			return string(rune('a' + r%20))
		}
	}
	randTopic := func(wild bool) string {
		n := 1 + rng.IntN(4)
		var b strings.Builder
		for i := range n {
			if i > 0 {
				b.WriteByte('/')
			}
			l := level()
			if !wild && l == "+" {
				l = "p"
			}
			b.WriteString(l)
		}
		if wild && rng.IntN(5) == 0 {
			b.WriteString("/#")
		}
		if wild && rng.IntN(30) == 0 {
			return "#"
		}
		return b.String()
	}

	tr := NewTree[int, int]()
	model := map[pair]int{}
	var pairs []pair
	for step := range 6000 {
		// Grow for the first half, then shrink, to exercise pruning.
		grow := step < 3000
		if len(pairs) > 0 && (rng.IntN(3) == 0 || !grow && rng.IntN(4) != 0) {
			i := rng.IntN(len(pairs))
			p := pairs[i]
			pairs[i] = pairs[len(pairs)-1]
			pairs = pairs[:len(pairs)-1]
			delete(model, p)
			require.True(t, tr.Remove(p.filter, p.key), "remove %v", p)
		} else {
			p := pair{randTopic(true), rng.IntN(40)}
			_, exists := model[p]
			require.Equal(t, !exists, tr.Add(p.filter, p.key, step))
			if !exists {
				pairs = append(pairs, p)
			}
			model[p] = step
		}
		require.Equal(t, len(model), tr.Len())
		if step%50 != 0 {
			continue
		}
		require.Equal(t, nodeCount(tr), walkCount(t, &tr.root))
		for range 20 {
			name := randTopic(false)
			got := map[pair]int{}
			// The same key may come from several filters; tell them apart by
			// the value, which identifies the Add that stored it.
			byVal := map[int]int{}
			tr.Match(name, func(k, v int) {
				byVal[v]++
				for p, mv := range model {
					if p.key == k && mv == v {
						got[p] = v
					}
				}
			})
			want := map[pair]int{}
			for p, v := range model {
				if Match(p.filter, name) {
					want[p] = v
				}
			}
			require.Equal(t, want, got, "name %q", name)
			for v, c := range byVal {
				require.Equal(t, 1, c, "value %d reported %d times", v, c)
			}
		}
	}
	for _, p := range pairs {
		require.True(t, tr.Remove(p.filter, p.key))
	}
	require.Zero(t, tr.Len())
	require.Zero(t, nodeCount(tr))
}
