package mqtt

import (
	"bufio"
	"errors"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/lonelyleaf/surgemq/mqtt/packet"
)

// scripted is a one-connection fake server for behaviour a real broker will not produce on
// demand: refusals, silence, a server DISCONNECT, a small Receive Maximum.
type scripted struct {
	t  *testing.T
	nc net.Conn
	r  *packet.Reader
	v  packet.Version
}

// startScripted listens on a loopback port and runs serve for each connection after reading
// its CONNECT; it returns the mqtt:// URL. serve runs on its own goroutine: it reports
// failures with t.Errorf and returns.
func startScripted(t *testing.T, serve func(s *scripted, connect *packet.Connect)) string {
	t.Helper()
	addr := serveLoopback(t, func(nc net.Conn) {
		s := &scripted{t: t, nc: nc, r: packet.NewReader(bufio.NewReader(nc), 0, 0)}
		p, err := s.r.Read()
		if err != nil {
			t.Errorf("scripted: read CONNECT: %v", err)
			return
		}
		c, ok := p.(*packet.Connect)
		if !ok {
			t.Errorf("scripted: got %s, want CONNECT", p.Type())
			return
		}
		s.v, s.r.Version = c.Version, c.Version
		serve(s, c)
	})
	return "mqtt://" + addr
}

// serveLoopback listens on a loopback port and runs handle on its own goroutine for each
// connection, closing it afterwards; when the test ends it closes the listener and every
// connection and waits for the handlers. It returns the address.
func serveLoopback(tb testing.TB, handle func(nc net.Conn)) string {
	tb.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(tb, err)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var conns []net.Conn
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			nc, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, nc)
			mu.Unlock()
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer nc.Close()
				handle(nc)
			}()
		}
	}()
	tb.Cleanup(func() {
		l.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	return l.Addr().String()
}

func (s *scripted) write(p packet.Packet) bool {
	b, err := p.Encode(nil, s.v)
	if err == nil {
		_, err = s.nc.Write(b)
	}
	if err != nil {
		s.t.Errorf("scripted: write %s: %v", p.Type(), err)
		return false
	}
	return true
}

// read returns the next packet other than PINGREQ (answered unless silent), or nil at the
// end of the connection.
func (s *scripted) read(answerPings bool) packet.Packet {
	for {
		p, err := s.r.Read()
		if err != nil {
			return nil
		}
		if _, ok := p.(*packet.Pingreq); ok {
			if answerPings && !s.write(&packet.Pingresp{}) {
				return nil
			}
			continue
		}
		return p
	}
}

// TestSubackRefused checks that refused filters come back per subscription with the server's
// code, for 3.1.1 (0x80) and 5.0 (any code from 0x80, with a reason string).
func TestSubackRefused(t *testing.T) {
	for _, v := range []Version{V311, V5} {
		t.Run("v"+v.String(), func(t *testing.T) {
			url := startScripted(t, func(s *scripted, _ *packet.Connect) {
				if !s.write(&packet.Connack{}) {
					return
				}
				// With MQTT 5 each filter comes in its own SUBSCRIBE (one identifier each).
				for {
					p, ok := s.read(true).(*packet.Subscribe)
					if !ok {
						return // DISCONNECT or EOF.
					}
					refused := packet.SubackFailure
					ack := &packet.Suback{PacketID: p.PacketID}
					if v == V5 {
						refused = packet.ErrNotAuthorized.Value
						ack.Properties = &Properties{ReasonString: new("no secrets for you")}
					}
					ack.ReasonCodes = make([]byte, len(p.Subscriptions))
					for i, sub := range p.Subscriptions {
						ack.ReasonCodes[i] = byte(sub.QoS)
						if sub.Filter == "secret" {
							ack.ReasonCodes[i] = refused
						}
					}
					if !s.write(ack) {
						return
					}
				}
			})
			c := dialTest(t, url, Options{ClientID: "x", Version: v})
			res, err := c.Subscribe(testCtx(t), nil, Subscription{Filter: "open", QoS: QoS2}, Subscription{Filter: "secret", QoS: QoS1})
			require.ErrorIs(t, err, ErrSubscribeRefused)
			require.Len(t, res, 2)
			require.Equal(t, SubResult{Filter: "open", QoS: QoS2}, res[0])
			require.ErrorIs(t, res[1].Err, ErrSubscribeRefused)
			var code packet.Code
			require.True(t, errors.As(res[1].Err, &code))
			if v == V5 {
				require.Equal(t, packet.ErrNotAuthorized, code)
				require.Contains(t, res[1].Err.Error(), "no secrets for you")
			} else {
				require.Equal(t, packet.ErrUnspecified, code)
			}
		})
	}
}

// TestKeepAliveTimeout checks that a server that stops answering is detected: PINGREQ goes
// out and, with no answer within PingTimeout, the connection is declared dead.
func TestKeepAliveTimeout(t *testing.T) {
	pinged := make(chan struct{}, 1)
	url := startScripted(t, func(s *scripted, c *packet.Connect) {
		if c.KeepAlive != 1 {
			s.t.Errorf("keepalive %d, want 1", c.KeepAlive)
		}
		if !s.write(&packet.Connack{}) {
			return
		}
		for {
			p, err := s.r.Read()
			if err != nil {
				return
			}
			if _, ok := p.(*packet.Pingreq); ok {
				select {
				case pinged <- struct{}{}:
				default:
				}
			}
		}
	})
	st := newStates()
	start := time.Now()
	dialTest(t, url, Options{ClientID: "x", KeepAlive: time.Second, PingTimeout: 300 * time.Millisecond,
		DisableReconnect: true, OnStateChange: st.record})
	e := st.waitFor(t, StateClosed)
	require.ErrorIs(t, e.Err, ErrKeepAliveTimeout)
	require.ErrorIs(t, e.Err, ErrConnectionLost)
	require.Len(t, pinged, 1, "a PINGREQ was sent")
	// The PINGREQ goes out after 3/4 of the keepalive, the timeout 300 ms later.
	require.Less(t, time.Since(start), 3*time.Second)
}

// TestServerDisconnect checks that an MQTT 5 DISCONNECT from the server is reported with its
// reason, and that the client reconnects.
func TestServerDisconnect(t *testing.T) {
	var mu sync.Mutex
	conns := 0
	url := startScripted(t, func(s *scripted, _ *packet.Connect) {
		mu.Lock()
		conns++
		n := conns
		mu.Unlock()
		if !s.write(&packet.Connack{}) {
			return
		}
		if n == 1 {
			s.write(&packet.Disconnect{ReasonCode: packet.ErrServerShuttingDown.Value,
				Properties: &Properties{ReasonString: new("maintenance")}})
			return
		}
		s.read(true)
	})
	st := newStates()
	c := dialTest(t, url, Options{ClientID: "x", Version: V5, OnStateChange: st.record})
	e := st.waitFor(t, StateDisconnected)
	require.ErrorIs(t, e.Err, ErrServerDisconnect)
	require.ErrorIs(t, e.Err, packet.ErrServerShuttingDown)
	require.Contains(t, e.Err.Error(), "maintenance")
	st.waitFor(t, StateConnected)
	require.True(t, c.IsConnected())
}

// TestReceiveMaximum checks that no more QoS 1 messages are in flight than the server's
// Receive Maximum, and that the rest follow as acks free the quota.
func TestReceiveMaximum(t *testing.T) {
	const total = 6
	url := startScripted(t, func(s *scripted, _ *packet.Connect) {
		if !s.write(&packet.Connack{Properties: &Properties{ReceiveMaximum: new(uint16(2))}}) {
			return
		}
		var pending []uint16
		for got := 0; got < total; {
			// Read until two are in flight, then check the client sends nothing more.
			for len(pending) < 2 && got < total {
				p, ok := s.read(true).(*packet.Publish)
				if !ok {
					s.t.Error("scripted: want PUBLISH")
					return
				}
				pending = append(pending, p.PacketID)
				got++
			}
			if got < total {
				_ = s.nc.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
				if p, err := s.r.Read(); err == nil {
					s.t.Errorf("scripted: %s beyond the receive maximum", p.Type())
					return
				} else if !errors.Is(err, os.ErrDeadlineExceeded) {
					s.t.Errorf("scripted: %v", err)
					return
				}
				_ = s.nc.SetReadDeadline(time.Time{})
			}
			if !s.write(&packet.Ack{Kind: packet.PUBACK, PacketID: pending[0]}) {
				return
			}
			pending = pending[1:]
		}
		for _, id := range pending {
			s.write(&packet.Ack{Kind: packet.PUBACK, PacketID: id})
		}
		s.read(true)
	})
	c := dialTest(t, url, Options{ClientID: "x", Version: V5})
	ctx := testCtx(t)
	errs := make(chan error, total)
	for range total {
		go func() { errs <- c.Publish(ctx, "q", []byte("x"), QoS1) }()
	}
	for range total {
		require.NoError(t, <-errs)
	}
}

// TestTopicAlias checks incoming MQTT 5 topic aliases: one set with a topic, then used
// alone; an alias above the client's maximum ends the connection as a protocol error.
func TestTopicAlias(t *testing.T) {
	url := startScripted(t, func(s *scripted, c *packet.Connect) {
		if c.Properties == nil || c.Properties.TopicAliasMaximum == nil || *c.Properties.TopicAliasMaximum != 2 {
			s.t.Error("scripted: CONNECT without topic alias maximum 2")
			return
		}
		_ = s.write(&packet.Connack{}) &&
			s.write(&packet.Publish{Topic: "alias/a", Payload: []byte("1"), Properties: &Properties{TopicAlias: new(uint16(2))}}) &&
			s.write(&packet.Publish{Payload: []byte("2"), Properties: &Properties{TopicAlias: new(uint16(2))}}) &&
			s.write(&packet.Publish{Topic: "alias/b", Payload: []byte("3"), Properties: &Properties{TopicAlias: new(uint16(3))}})
		s.read(true)
	})
	snk := newSink()
	st := newStates()
	dialTest(t, url, Options{ClientID: "x", Version: V5, DefaultHandler: snk.handle, DisableReconnect: true,
		OnStateChange: st.record, ConnectProperties: &Properties{TopicAliasMaximum: new(uint16(2))}})
	for _, want := range []string{"1", "2"} {
		m := snk.next(t)
		require.Equal(t, "alias/a", m.Topic)
		require.Equal(t, want, string(m.Payload))
	}
	e := st.waitFor(t, StateClosed)
	require.ErrorIs(t, e.Err, ErrProtocol)
	require.ErrorIs(t, e.Err, packet.ErrTopicAliasInvalid)
	require.Empty(t, snk.drain())
}

// TestWriteBlocked checks that a server that stops reading is detected: the blocked Write
// times out after the keepalive interval plus the ping timeout.
func TestWriteBlocked(t *testing.T) {
	stop := make(chan struct{})
	url := startScripted(t, func(s *scripted, _ *packet.Connect) {
		if s.write(&packet.Connack{}) {
			<-stop // Read nothing more until the test ends.
		}
	})
	t.Cleanup(func() { close(stop) })
	st := newStates()
	c := dialTest(t, url, Options{ClientID: "x", KeepAlive: time.Second, PingTimeout: 300 * time.Millisecond,
		DisableReconnect: true, OnStateChange: st.record})
	payload := make([]byte, 64<<10)
	ctx := testCtx(t)
	done := make(chan error, 1)
	go func() {
		for {
			if err := c.Publish(ctx, "fill", payload); err != nil {
				done <- err
				return
			}
		}
	}()
	e := st.waitFor(t, StateClosed)
	require.ErrorIs(t, e.Err, ErrKeepAliveTimeout)
	require.ErrorIs(t, <-done, ErrConnectionLost)
}

// TestResendAfterReconnect: with a kept session, a QoS 1 message the server never
// acknowledged is sent again with DUP and its packet id, and a QoS 2 message whose PUBREC came
// is resumed with PUBREL, not sent again [MQTT-4.4.0-1]; Publish returns once they complete.
func TestResendAfterReconnect(t *testing.T) {
	type firstConn struct{ q1, q2 *packet.Publish }
	first := make(chan firstConn, 1)
	var conns, returned atomic.Int32
	url := startScripted(t, func(s *scripted, c *packet.Connect) {
		if c.CleanStart {
			s.t.Error("scripted: want a kept session")
			return
		}
		switch conns.Add(1) {
		case 1: // take both, acknowledge nothing but the PUBREC, then drop the connection
			if !s.write(&packet.Connack{}) {
				return
			}
			var got firstConn
			for got.q1 == nil || got.q2 == nil {
				p, ok := s.read(true).(*packet.Publish)
				if !ok {
					s.t.Error("scripted: want PUBLISH")
					return
				}
				if p.QoS == 1 {
					got.q1 = p
				} else {
					got.q2 = p
					s.write(&packet.Ack{Kind: packet.PUBREC, PacketID: p.PacketID})
				}
			}
			if rel, ok := s.read(true).(*packet.Ack); !ok || rel.Kind != packet.PUBREL {
				s.t.Errorf("scripted: want PUBREL, got %v", rel)
				return
			}
			if returned.Load() != 0 {
				s.t.Error("Publish returned before its PUBACK or PUBCOMP")
			}
			first <- got
		case 2:
			if !s.write(&packet.Connack{SessionPresent: true}) {
				return
			}
			got := <-first
			for range 2 {
				switch p := s.read(true).(type) {
				case *packet.Publish:
					if !p.Dup || p.PacketID != got.q1.PacketID || p.QoS != 1 || string(p.Payload) != "one" {
						s.t.Errorf("scripted: resent %+v, want DUP QoS 1 id %d", p, got.q1.PacketID)
					}
					s.write(&packet.Ack{Kind: packet.PUBACK, PacketID: p.PacketID})
				case *packet.Ack:
					if p.Kind != packet.PUBREL || p.PacketID != got.q2.PacketID {
						s.t.Errorf("scripted: got %+v, want PUBREL id %d", p, got.q2.PacketID)
					}
					s.write(&packet.Ack{Kind: packet.PUBCOMP, PacketID: p.PacketID})
				default:
					s.t.Errorf("scripted: got %v", p)
					return
				}
			}
			s.read(true)
		}
	})
	c := dialTest(t, url, Options{ClientID: "resend", KeepSession: true,
		Backoff: func(int) time.Duration { return 10 * time.Millisecond }})
	ctx := testCtx(t)
	errs := make(chan error, 2)
	publish := func(topic, payload string, q QoS) {
		err := c.Publish(ctx, topic, []byte(payload), q)
		returned.Add(1)
		errs <- err
	}
	go publish("a", "one", QoS1)
	go publish("b", "two", QoS2)
	for range 2 {
		require.NoError(t, <-errs)
	}
	require.Equal(t, int32(2), conns.Load(), "the messages completed on the second connection")
}
