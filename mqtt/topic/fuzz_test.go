package topic

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// FuzzMatch checks Tree.Match against the reference Match applied to every
// filter, for any set of filters (one a line) and any topic name, then
// removes half the filters and all of them, checking the result and the
// pruning each time.
func FuzzMatch(f *testing.F) {
	f.Add("sport/tennis/player1/#\nsport/#\n+/+\n/+\n+\n#", "sport/tennis/player1")
	f.Add("#\n+/monitor/Clients\n$SYS/#\n$SYS/+/Clients", "$SYS/monitor/Clients")
	f.Add("a/+/c\na/b/#\na/b/c\na//c\n+/+/+", "a/b/c")
	f.Add("site/+/device/#\nsite/3/device/417/temp\n+/3/+/417/+", "site/3/device/417/temp")
	f.Add("a/#/b\na/+\na\na/\n/", "a/#")
	f.Fuzz(func(t *testing.T, filterLines, name string) {
		filters := strings.Split(filterLines, "\n")
		if len(filters) > 64 {
			filters = filters[:64]
		}
		// Neither may panic on any input.
		_ = ValidName(name)
		for _, fl := range filters {
			_ = ValidFilter(fl)
		}
		require.True(t, Match(name, name), "a string matches itself")

		tr := NewTree[int, string]()
		for i, fl := range filters {
			require.True(t, tr.Add(fl, i, ""))
			require.False(t, tr.Add(fl, i, fl), "second add replaces")
		}
		require.Equal(t, len(filters), tr.Len())

		check := func(present func(i int) bool) {
			t.Helper()
			got := make(map[int]bool)
			tr.Match(name, func(k int, v string) {
				require.False(t, got[k], "key %d reported twice", k)
				require.Equal(t, filters[k], v)
				got[k] = true
			})
			for i, fl := range filters {
				want := present(i) && Match(fl, name)
				require.Equal(t, want, got[i], "filter %q name %q", fl, name)
			}
		}
		check(func(int) bool { return true })

		for i := 1; i < len(filters); i += 2 {
			require.True(t, tr.Remove(filters[i], i))
		}
		check(func(i int) bool { return i%2 == 0 })
		require.Equal(t, tr.nodes, walkCount(t, &tr.root))

		for i := 0; i < len(filters); i += 2 {
			require.True(t, tr.Remove(filters[i], i))
			require.False(t, tr.Remove(filters[i], i))
		}
		require.Zero(t, tr.Len())
		require.Zero(t, tr.nodes)
		require.True(t, tr.root.empty())
	})
}
