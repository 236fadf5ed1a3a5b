package topic

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"strconv"
	"testing"
)

// iotSubs returns n realistic IoT subscriptions: mostly exact device topics,
// some per-device and per-site wildcards, and a few broad ones. Device d lives
// on site d%sites.
func iotSubs(n int) (filters []string, names []string) {
	const sites = 50
	devices := n / 2
	metrics := []string{"temp", "humidity", "battery", "status"}
	rng := rand.New(rand.NewPCG(1, 2))
	for range n {
		d := rng.IntN(devices)
		s := d % sites
		m := metrics[rng.IntN(len(metrics))]
		var f string
		switch r := rng.IntN(100); {
		case r < 70:
			f = fmt.Sprintf("site/%d/device/%d/%s", s, d, m)
		case r < 85:
			f = fmt.Sprintf("site/%d/device/%d/#", s, d)
		case r < 93:
			f = fmt.Sprintf("site/%d/device/+/%s", s, m)
		case r < 98:
			f = fmt.Sprintf("site/+/device/%d/+", d)
		default:
			f = fmt.Sprintf("site/%d/#", s)
		}
		filters = append(filters, f)
	}
	// A few broad subscribers every broker has.
	filters = append(filters, "#", "site/+/device/+/status", "$SYS/#")
	for range 1024 {
		d := rng.IntN(devices)
		names = append(names, fmt.Sprintf("site/%d/device/%d/%s", d%sites, d, metrics[rng.IntN(len(metrics))]))
	}
	return filters, names
}

// buildTree returns a tree of n IoT subscriptions, names to publish to, and
// the tree's heap size per subscription.
func buildTree(b *testing.B, n int) (*Tree[int, byte], []string, float64) {
	b.Helper()
	filters, names := iotSubs(n)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	tr := NewTree[int, byte]()
	for i, f := range filters {
		tr.Add(f, i, 1)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	runtime.KeepAlive(filters)
	return tr, names, float64(after.HeapAlloc-before.HeapAlloc) / float64(len(filters))
}

func BenchmarkMatch(b *testing.B) {
	for _, n := range []int{10_000, 100_000} {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			tr, names, perSub := buildTree(b, n)
			hits := 0
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				tr.Match(names[i&1023], func(int, byte) { hits++ })
				i++
			}
			b.ReportMetric(float64(hits)/float64(i), "subs/op")
			b.ReportMetric(perSub, "B/sub")
		})
	}
}

func BenchmarkMatchParallel(b *testing.B) {
	tr, names, _ := buildTree(b, 100_000)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i, hits := 0, 0
		for pb.Next() {
			tr.Match(names[i&1023], func(int, byte) { hits++ })
			i++
		}
		_ = hits
	})
}

// BenchmarkMatchParallelWrites measures Match while one goroutine keeps
// subscribing and unsubscribing (its allocations are counted too).
func BenchmarkMatchParallelWrites(b *testing.B) {
	tr, names, _ := buildTree(b, 100_000)
	done := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		for i := 0; ; i++ {
			select {
			case <-done:
				return
			default:
			}
			f := names[i&1023]
			tr.Add(f, -1, 0)
			tr.Remove(f, -1)
		}
	}()
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			tr.Match(names[i&1023], func(int, byte) {})
			i++
		}
	})
	b.StopTimer()
	close(done)
	<-stopped
}

func BenchmarkAdd(b *testing.B) {
	filters, _ := iotSubs(100_000)
	b.ReportAllocs()
	tr := NewTree[int, byte]()
	i := 0
	for b.Loop() {
		j := i % len(filters)
		if i > 0 && j == 0 {
			tr = NewTree[int, byte]()
		}
		tr.Add(filters[j], i, 1)
		i++
	}
}

// BenchmarkAddRemove measures a subscribe/unsubscribe pair on a populated tree.
func BenchmarkAddRemove(b *testing.B) {
	tr, names, _ := buildTree(b, 100_000)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		f := names[i&1023]
		tr.Add(f, -1, 0)
		tr.Remove(f, -1)
		i++
	}
}

// BenchmarkAddFanOut adds many keys to one filter, the case the per-node
// index exists for.
func BenchmarkAddFanOut(b *testing.B) {
	b.ReportAllocs()
	tr := NewTree[int, byte]()
	i := 0
	for b.Loop() {
		if i%10_000 == 0 {
			tr = NewTree[int, byte]()
		}
		tr.Add("alerts/#", i, 1)
		i++
	}
}

func BenchmarkMatchFunc(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		Match("site/+/device/#", "site/3/device/417/temp")
	}
}

func BenchmarkValidName(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		_ = ValidName("site/3/device/417/temp")
	}
}
