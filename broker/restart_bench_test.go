package broker

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"runtime"
	"testing"

	"github.com/lonelyleaf/surgemq/broker/store"
)

// BenchmarkRestart100k measures a broker start over a store holding 100,000 queued QoS 1
// messages (64-byte payloads) for 10 persistent sessions, and the heap it then holds: the
// payloads stay on disk until they are sent.
func BenchmarkRestart100k(b *testing.B) {
	dir := b.TempDir()
	st, _, err := store.Open(store.Options{Dir: dir, Fsync: store.FsyncInterval})
	if err != nil {
		b.Fatal(err)
	}
	payload := make([]byte, 64)
	for s := range 10 {
		id := fmt.Sprintf("client-%d", s)
		if err := st.PutSession(id, neverExpires, []store.Subscription{{Filter: "t/#", QoS: 1}}); err != nil {
			b.Fatal(err)
		}
		for range 10_000 {
			m, err := st.PutMessage(store.Message{Topic: "t/x", Payload: payload, QoS: 1})
			if err != nil {
				b.Fatal(err)
			}
			if err := st.Enqueue(id, store.Queued{Msg: m, QoS: 1}); err != nil {
				b.Fatal(err)
			}
		}
	}
	if err := st.Close(); err != nil {
		b.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	var heap uint64
	b.ResetTimer()
	for b.Loop() {
		s, err := New(Options{SysInterval: -1, Logger: log, MaxQueuedMessages: -1, Persistence: &store.Options{Dir: dir}})
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		if got := s.Stats().Queued; got != 100_000 {
			b.Fatalf("restored %d queued messages, want 100000", got)
		}
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		heap = ms.HeapAlloc
		if err := s.Shutdown(context.Background()); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
	b.ReportMetric(float64(heap)/(1<<20), "heap-MiB")
}
