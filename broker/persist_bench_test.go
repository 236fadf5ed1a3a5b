package broker

import (
	"bufio"
	"bytes"
	"io"
	"log/slog"
	"testing"

	"github.com/lonelyleaf/surgemq/broker/store"
	"github.com/lonelyleaf/surgemq/mqtt/packet"
)

// BenchmarkPersistQoS1 measures a publisher's QoS 1 path into one online persistent subscriber
// with persistence off, fsync "interval" and fsync "always" (one sync per 64 publishes, as one
// read of a busy connection would give), and the disk bytes written per message.
func BenchmarkPersistQoS1(b *testing.B) { benchPersist(b, packet.QoS1) }

// BenchmarkPersistQoS2 is BenchmarkPersistQoS1 at QoS 2, both ways: with fsync "always" every
// PUBLISH to the persistent subscriber waits for its packet id to be on disk (exactly once
// across a crash), so this is the price of that guarantee.
func BenchmarkPersistQoS2(b *testing.B) { benchPersist(b, packet.QoS2) }

func benchPersist(b *testing.B, qos packet.QoS) {
	modes := []struct {
		name string
		opts *store.Options
	}{
		{"none", nil},
		{"interval", &store.Options{Fsync: store.FsyncInterval}},
		{"always", &store.Options{Fsync: store.FsyncAlways}},
	}
	for _, mode := range modes {
		b.Run(mode.name, func(b *testing.B) {
			o := Options{SysInterval: -1, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), MaxQueuedMessages: -1}
			if mode.opts != nil {
				so := *mode.opts
				so.Dir = b.TempDir()
				o.Persistence = &so
			}
			s, err := New(o)
			if err != nil {
				b.Fatal(err)
			}
			mk := func(id string, clean bool) *conn {
				c := newConn(s, newDiscardConn())
				if err := c.handleConnect(&packet.Connect{ProtocolName: "MQTT", Version: packet.V311, ClientID: id, CleanStart: clean}); err != nil {
					b.Fatal(err)
				}
				return c
			}
			sub := mk("sub", false)
			sub.handleSubscribe(&packet.Subscribe{PacketID: 1, Subscriptions: []packet.Subscription{{Filter: "p/#", QoS: qos}}})
			pub := mk("pub", true)
			b.Cleanup(func() {
				for _, c := range []*conn{sub, pub} {
					c.nc.Close()
					c.closeOutput()
				}
				s.cancel()
				if s.persist != nil {
					s.persist.st.Close()
				}
			})
			var stream []byte
			for i := range 64 {
				id := uint16(i + 1)
				stream, _ = (&packet.Publish{Topic: "p/x", QoS: qos, PacketID: id, Payload: make([]byte, 64)}).Encode(stream, packet.V311)
				if qos == packet.QoS2 {
					stream, _ = (&packet.Ack{Kind: packet.PUBREL, PacketID: id}).Encode(stream, packet.V311)
				}
			}
			rd := bytes.NewReader(stream)
			pr := packet.NewReader(bufio.NewReaderSize(rd, 64<<10), packet.V311, 0)
			var written0 int64
			if s.persist != nil {
				written0 = s.persist.st.Stats().BytesWritten
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; b.Loop(); i++ {
				if i%64 == 0 {
					rd.Reset(stream)
				}
				for range int(qos) { // the PUBLISH, and at QoS 2 its PUBREL
					p, err := pr.Read()
					if err != nil {
						b.Fatal(err)
					}
					if err := pub.handle(p); err != nil {
						b.Fatal(err)
					}
				}
				if i%64 == 63 {
					if err := pub.releaseAcks(); err != nil {
						b.Fatal(err)
					}
					ackAll(sub.sess) // the subscriber keeps up
				}
			}
			b.StopTimer()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
			if s.persist != nil {
				s.persist.st.Sync()
				b.ReportMetric(float64(s.persist.st.Stats().BytesWritten-written0)/float64(b.N), "disk-B/msg")
			}
		})
	}
}

// ackAll acknowledges everything in flight to sess, as a subscriber's PUBACKs (or PUBREC and
// PUBCOMP) would.
func ackAll(sess *session) {
	sess.mu.Lock()
	sent := append([]inflight(nil), sess.inflight...)
	sess.mu.Unlock()
	for _, f := range sent {
		if f.qos == packet.QoS2 {
			sess.received(f.id)
			sess.acked(f.id, packet.PUBCOMP)
		} else {
			sess.acked(f.id, packet.PUBACK)
		}
	}
}
