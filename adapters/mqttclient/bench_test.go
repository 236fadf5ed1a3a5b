package mqttclient_test

import (
	"context"
	"testing"
	"time"

	"github.com/lonelyleaf/surgemq/adapters"
	"github.com/lonelyleaf/surgemq/adapters/mqttclient"
	"github.com/lonelyleaf/surgemq/broker"
	"github.com/lonelyleaf/surgemq/mqtt"
)

// BenchmarkPublishQoS0 compares mqtt.Client.Publish with the adapter's Publish on the same
// connection: the adapter adds no copy and no allocation.
func BenchmarkPublishQoS0(b *testing.B) {
	for _, name := range []string{"mqtt", "mqttclient"} {
		b.Run(name, func(b *testing.B) {
			_, url := startBroker(b, broker.Options{})
			c := dial(b, url, mqtt.Options{})
			a := mqttclient.New(c)
			payload := make([]byte, 64)
			ctx := context.Background()
			b.ReportAllocs()
			b.SetBytes(int64(len(payload)))
			for b.Loop() {
				var err error
				if name == "mqtt" {
					err = c.Publish(ctx, "bench/t", payload, mqtt.QoS0)
				} else {
					err = a.Publish(ctx, "bench/t", payload, 0, false)
				}
				if err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkRoundTrip publishes one QoS 0 message and waits until the subscriber's handler has
// it, b.N times: the cost of the adapter's per-subscription goroutine hop next to a plain
// mqtt handler, over loopback TCP through the broker.
func BenchmarkRoundTrip(b *testing.B) {
	for _, name := range []string{"mqtt", "mqttclient"} {
		b.Run(name, func(b *testing.B) {
			_, url := startBroker(b, broker.Options{})
			pub := dial(b, url, mqtt.Options{})
			sub := dial(b, url, mqtt.Options{})
			got := make(chan struct{}, 1)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if name == "mqtt" {
				_, err := sub.Subscribe(ctx, func(*mqtt.Message) { got <- struct{}{} }, mqtt.Subscription{Filter: "bench/t"})
				if err != nil {
					b.Fatal(err)
				}
			} else {
				_, err := mqttclient.New(sub).Subscribe(ctx, "bench/t", 0, func(adapters.Message) { got <- struct{}{} })
				if err != nil {
					b.Fatal(err)
				}
			}
			payload := make([]byte, 64)
			b.ReportAllocs()
			for b.Loop() {
				if err := pub.Publish(ctx, "bench/t", payload, mqtt.QoS0); err != nil {
					b.Fatal(err)
				}
				select {
				case <-got:
				case <-time.After(wait):
					b.Fatal("message lost")
				}
			}
		})
	}
}
