package broker

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/lonelyleaf/surgemq/mqtt/packet"
)

// discardConn is a net.Conn whose writes vanish and whose reads block until Close, so
// benchmarks measure the broker rather than the kernel.
type discardConn struct {
	once   sync.Once
	closed chan struct{}
	mu     sync.Mutex
	n      int64
}

func newDiscardConn() *discardConn { return &discardConn{closed: make(chan struct{})} }

func (d *discardConn) Read([]byte) (int, error) { <-d.closed; return 0, io.EOF }
func (d *discardConn) Write(b []byte) (int, error) {
	d.mu.Lock()
	d.n += int64(len(b))
	d.mu.Unlock()
	return len(b), nil
}
func (d *discardConn) Close() error                     { d.once.Do(func() { close(d.closed) }); return nil }
func (d *discardConn) LocalAddr() net.Addr              { return &net.TCPAddr{} }
func (d *discardConn) RemoteAddr() net.Addr             { return &net.TCPAddr{} }
func (d *discardConn) SetDeadline(time.Time) error      { return nil }
func (d *discardConn) SetReadDeadline(time.Time) error  { return nil }
func (d *discardConn) SetWriteDeadline(time.Time) error { return nil }

// benchServer returns a broker with n subscribers on "bench/topic" at qos, connected through
// discardConns, and a publisher connection.
func benchServer(b *testing.B, n int, qos packet.QoS) (*Server, *conn) {
	s, err := New(Options{SysInterval: -1, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), MaxQueuedMessages: -1})
	if err != nil {
		b.Fatal(err)
	}
	mk := func(id string) *conn {
		c := newConn(s, newDiscardConn())
		if err := c.handleConnect(&packet.Connect{ProtocolName: "MQTT", Version: packet.V311, ClientID: id, CleanStart: true}); err != nil {
			b.Fatal(err)
		}
		return c
	}
	for i := range n {
		c := mk(fmt.Sprintf("sub%d", i))
		c.handleSubscribe(&packet.Subscribe{PacketID: 1, Subscriptions: []packet.Subscription{{Filter: "bench/+", QoS: qos}}})
	}
	// Unrelated subscriptions so the tree is not trivially small.
	other := mk("other")
	for i := range 1000 {
		other.handleSubscribe(&packet.Subscribe{PacketID: 1, Subscriptions: []packet.Subscription{{Filter: fmt.Sprintf("site/%d/+/temp", i)}}})
	}
	pub := mk("pub")
	b.Cleanup(func() {
		s.mu.Lock()
		for _, sess := range s.sessions {
			if sess.conn != nil {
				sess.conn.nc.Close()
				sess.conn.closeOutput()
			}
		}
		s.mu.Unlock()
		s.cancel()
	})
	return s, pub
}

// BenchmarkRoute measures match → dedup → enqueue → encode for one publish fanned out to N
// QoS 0 subscribers (the writes go to a discarding conn on the write goroutines).
func BenchmarkRoute(b *testing.B) {
	for _, n := range []int{1, 10, 100} {
		b.Run(fmt.Sprintf("subs=%d", n), func(b *testing.B) {
			s, pub := benchServer(b, n, 0)
			m := &Message{Topic: "bench/topic", Payload: make([]byte, 64)}
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				s.publish(m, pub.sess, pub.router())
			}
			b.ReportMetric(float64(b.N*n)/b.Elapsed().Seconds(), "deliveries/s")
		})
	}
}

// BenchmarkInbound measures a publisher's whole path per message: decode from a buffered
// stream → authorize → route to one QoS 0 or QoS 1 subscriber → encode, plus the PUBACK.
func BenchmarkInbound(b *testing.B) {
	for _, qos := range []packet.QoS{0, 1} {
		b.Run(fmt.Sprintf("qos=%d", qos), func(b *testing.B) {
			_, pub := benchServer(b, 1, qos)
			var stream []byte
			for i := range 1000 {
				var err error
				stream, err = (&packet.Publish{Topic: "bench/topic", QoS: qos, PacketID: uint16(i%60000 + 1), Payload: make([]byte, 64)}).Encode(stream, packet.V311)
				if err != nil {
					b.Fatal(err)
				}
			}
			rd := bytes.NewReader(stream)
			pr := packet.NewReader(bufio.NewReaderSize(rd, 64<<10), packet.V311, 0)
			sub := func() *session {
				pub.srv.mu.Lock()
				defer pub.srv.mu.Unlock()
				return pub.srv.sessions["sub0"]
			}()
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; b.Loop(); i++ {
				if i%1000 == 0 {
					rd.Reset(stream)
				}
				p, err := pr.Read()
				if err != nil {
					b.Fatal(err)
				}
				if err := pub.handle(p); err != nil {
					b.Fatal(err)
				}
				if qos > 0 && i%10 == 9 { // the subscriber acknowledges, keeping its window open
					sub.mu.Lock()
					ids := make([]uint16, 0, len(sub.inflight))
					for _, f := range sub.inflight {
						ids = append(ids, f.id)
					}
					sub.mu.Unlock()
					for _, id := range ids {
						sub.acked(id, packet.PUBACK)
					}
				}
			}
		})
	}
}
