package pingmq

import (
	"context"
	"testing"
	"time"

	"github.com/lonelyleaf/surgemq/adapters"
)

// nopClient accepts every publish; it isolates the monitor's own cost.
type nopClient struct{}

func (nopClient) Publish(context.Context, string, []byte, byte, bool) error { return nil }
func (nopClient) Subscribe(context.Context, string, byte, adapters.Handler) (func(), error) {
	return func() {}, nil
}

// BenchmarkRound measures one round over a /24 (254 hosts) with an instant pinger: the
// per-round overhead of scheduling, state tracking, JSON encoding and publishing.
func BenchmarkRound(b *testing.B) {
	cfg := DefaultConfig()
	cfg.Targets = []string{"10.0.0.0/24"}
	m, err := New(cfg, nil)
	if err != nil {
		b.Fatal(err)
	}
	up := func(_ context.Context, host string, count int, _ time.Duration) (Stats, error) {
		return Stats{Addr: host, Sent: count, Recv: count, MinRTT: time.Millisecond, AvgRTT: time.Millisecond, MaxRTT: time.Millisecond, TTL: 64}, nil
	}
	sem := make(chan struct{}, cfg.Concurrency)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		m.round(ctx, nopClient{}, up, sem, m.groups[0], func(err error) { b.Error(err) })
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/254, "ns/host")
}

// BenchmarkExpandTarget measures expanding a /16 (65,534 hosts).
func BenchmarkExpandTarget(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ExpandTarget("10.0.0.0/16"); err != nil {
			b.Fatal(err)
		}
	}
}
