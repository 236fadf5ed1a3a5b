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
func BenchmarkPersistQoS1(b *testing.B) {
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
			sub.handleSubscribe(&packet.Subscribe{PacketID: 1, Subscriptions: []packet.Subscription{{Filter: "p/#", QoS: 1}}})
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
				stream, _ = (&packet.Publish{Topic: "p/x", QoS: 1, PacketID: uint16(i + 1), Payload: make([]byte, 64)}).Encode(stream, packet.V311)
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
				p, err := pr.Read()
				if err != nil {
					b.Fatal(err)
				}
				if err := pub.handle(p); err != nil {
					b.Fatal(err)
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

// ackAll acknowledges everything in flight to sess, as a subscriber's PUBACKs would.
func ackAll(sess *session) {
	sess.mu.Lock()
	ids := make([]uint16, 0, len(sess.inflight))
	for _, f := range sess.inflight {
		ids = append(ids, f.id)
	}
	sess.mu.Unlock()
	for _, id := range ids {
		sess.acked(id, packet.PUBACK)
	}
}
