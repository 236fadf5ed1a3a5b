package store

import (
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkAppendSync measures PutMessage+Enqueue+Sync per message (64-byte payload) from
// 1, 8 and 64 goroutines: with FsyncAlways, group commit makes concurrent callers share
// fsyncs (msgs/fsync). disk-B/msg is the bytes written per message.
func BenchmarkAppendSync(b *testing.B) {
	cases := []struct {
		name string
		mode FsyncMode
		g    int
	}{
		{"always-1", FsyncAlways, 1},
		{"always-8", FsyncAlways, 8},
		{"always-64", FsyncAlways, 64},
		{"interval-8", FsyncInterval, 8},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			s, _, err := Open(Options{Dir: b.TempDir(), Fsync: c.mode, CompactMinBytes: 1 << 40})
			if err != nil {
				b.Fatal(err)
			}
			p := payload(64, "x")
			var next atomic.Int64
			var wg sync.WaitGroup
			b.ReportAllocs()
			b.ResetTimer()
			for g := range c.g {
				wg.Add(1)
				go func() {
					defer wg.Done()
					cid := fmt.Sprintf("client-%d", g)
					for next.Add(1) <= int64(b.N) {
						id, err := s.PutMessage(Message{Topic: "bench/topic", Payload: p, QoS: 1})
						if err == nil {
							err = s.Enqueue(cid, Queued{Msg: id, QoS: 1})
						}
						if err == nil {
							err = s.Sync()
						}
						if err != nil {
							b.Error(err)
							return
						}
					}
				}()
			}
			wg.Wait()
			b.StopTimer()
			if err := s.Close(); err != nil {
				b.Fatal(err)
			}
			st := s.Stats()
			b.ReportMetric(float64(st.BytesWritten)/float64(b.N), "disk-B/msg")
			b.ReportMetric(float64(b.N)/float64(max(st.Fsyncs, 1)), "msgs/fsync")
		})
	}
}

// BenchmarkOpen100k opens a store holding 100k queued messages (64-byte payloads, 10
// sessions) and reports the heap the store and its State take after Open.
func BenchmarkOpen100k(b *testing.B) {
	const n, sessions = 100_000, 10
	dir := b.TempDir()
	s, _, err := Open(Options{Dir: dir, Fsync: FsyncInterval})
	if err != nil {
		b.Fatal(err)
	}
	p := payload(64, "p")
	for i := range n {
		id, err := s.PutMessage(Message{Topic: fmt.Sprintf("sensors/%d/temp", i%100), Payload: p, QoS: 1})
		if err == nil {
			err = s.Enqueue(fmt.Sprintf("client-%d", i%sessions), Queued{Msg: id, QoS: 1})
		}
		if err != nil {
			b.Fatal(err)
		}
	}
	if err := s.Close(); err != nil {
		b.Fatal(err)
	}
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	base := ms.HeapAlloc
	var heap uint64
	b.ResetTimer()
	for range b.N {
		s, st, err := Open(Options{Dir: dir})
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		if got := countQueued(st); got != n {
			b.Fatalf("%d queued, want %d", got, n)
		}
		runtime.GC()
		runtime.ReadMemStats(&ms)
		heap = max(heap, ms.HeapAlloc-base)
		disk := s.Stats().DiskBytes
		runtime.KeepAlive(st)
		if err := s.Close(); err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(disk)/(1<<20), "disk-MB")
		b.StartTimer()
	}
	b.ReportMetric(float64(heap)/(1<<20), "heap-MB")
}

// BenchmarkMessage measures the lazy load of a queued message (ReadAt and decode).
func BenchmarkMessage(b *testing.B) {
	s, _, err := Open(Options{Dir: b.TempDir(), Fsync: FsyncInterval})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	var ids []MsgID
	for i := range 10_000 {
		id, err := s.PutMessage(Message{Topic: "t", Payload: payload(64, fmt.Sprint(i)), QoS: 1})
		if err == nil {
			err = s.Enqueue("c", Queued{Msg: id})
		}
		if err != nil {
			b.Fatal(err)
		}
		ids = append(ids, id)
	}
	if err := s.Compact(); err != nil { // everything on disk
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		if _, err := s.Message(ids[i%len(ids)]); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCompact100k compacts a store of 100k live queued messages (64-byte payloads, 10
// sessions) while another goroutine keeps appending; max-stall-ms is the longest a single
// PutMessage+Enqueue took meanwhile (the broker is not paused by a compaction).
func BenchmarkCompact100k(b *testing.B) {
	const n, sessions = 100_000, 10
	s, _, err := Open(Options{Dir: b.TempDir(), Fsync: FsyncInterval, CompactMinBytes: 1 << 40})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	p := payload(64, "p")
	for i := range n {
		id, err := s.PutMessage(Message{Topic: fmt.Sprintf("sensors/%d/temp", i%100), Payload: p, QoS: 1})
		if err == nil {
			err = s.Enqueue(fmt.Sprintf("client-%d", i%sessions), Queued{Msg: id, QoS: 1})
		}
		if err != nil {
			b.Fatal(err)
		}
	}
	var stall atomic.Int64
	var done atomic.Bool
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; !done.Load(); i++ {
			t0 := time.Now()
			id, err := s.PutMessage(Message{Topic: "live", Payload: p, QoS: 1})
			if err == nil {
				err = s.Enqueue("live", Queued{Msg: id, QoS: 1})
			}
			if err == nil && i > 0 {
				err = s.Dequeue("live", id-1)
			}
			if err != nil {
				b.Error(err)
				return
			}
			if d := int64(time.Since(t0)); d > stall.Load() {
				stall.Store(d)
			}
			time.Sleep(50 * time.Microsecond) // a busy broker, not a spin loop
		}
	}()
	b.ResetTimer()
	for range b.N {
		if err := s.Compact(); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	done.Store(true)
	wg.Wait()
	b.ReportMetric(float64(stall.Load())/1e6, "max-stall-ms")
	b.ReportMetric(float64(s.Stats().DiskBytes)/(1<<20), "disk-MB")
}
