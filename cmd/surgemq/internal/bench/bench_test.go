package bench

import (
	"context"
	"testing"

	"github.com/lonelyleaf/surgemq/mqtt/packet"
)

// BenchmarkSelftest shows the generator's own ceiling: each scenario against the in-process
// Forwarder (which shares the process and its CPU), 64-byte payloads, 20 clients. b.N is the
// number of messages per publisher; the deliveries/s metric is what to compare with a
// broker's result.
//
//	go test -run '^$' -bench Selftest -benchtime 100000x ./cmd/surgemq/internal/bench/
func BenchmarkSelftest(b *testing.B) {
	for _, s := range []Scenario{OneToOne, FanIn, FanOut, Mesh} {
		for _, q := range []packet.QoS{packet.QoS0, packet.QoS1} {
			b.Run(string(s)+"/qos"+string('0'+byte(q)), func(b *testing.B) {
				clients := 20
				count := b.N
				if s == FanIn || s == Mesh {
					count = max(1, b.N/clients) // keep the total work near b.N × clients
				}
				rep, err := Run(context.Background(), Config{Scenario: s, Clients: clients, QoS: q, Count: count, Selftest: true})
				if err != nil {
					b.Fatal(err)
				}
				m := rep.Messages
				if m.Delivered != m.Expected {
					b.Fatalf("selftest lost %d of %d deliveries", m.Expected-m.Delivered, m.Expected)
				}
				b.ReportMetric(m.DeliveredPerSec, "deliveries/s")
				b.ReportMetric(rep.CPU.MicrosPerMessage*1000, "cpu-ns/delivery")
				b.ReportMetric(0, "ns/op")
			})
		}
	}
}
