package broker

import (
	"bufio"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"sync"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/lonelyleaf/surgemq/mqtt/packet"
)

func TestMain(m *testing.M) {
	if dir := os.Getenv(crashChildEnv); dir != "" {
		os.Exit(runCrashChild(dir)) // a broker for TestCrashRecovery to kill
	}
	goleak.VerifyTestMain(m)
}

// waitTimeout bounds every wait in these tests; nothing should take close to it.
const waitTimeout = 10 * time.Second

// testBroker is a broker serving on a loopback port for one test.
type testBroker struct {
	*Server
	addr string
}

// startBroker starts a broker on 127.0.0.1:0 and shuts it down when the test ends.
func startBroker(t testing.TB, opts Options) *testBroker {
	t.Helper()
	if opts.Logger == nil {
		level := slog.LevelWarn
		if os.Getenv("SURGEMQ_TEST_DEBUG") != "" {
			level = slog.LevelDebug
		}
		opts.Logger = slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: level}))
	}
	if opts.SysInterval == 0 {
		opts.SysInterval = -1
	}
	s, err := New(opts)
	require.NoError(t, err)
	return serveTest(t, s)
}

// serveTest serves s on 127.0.0.1:0 and shuts it down when the test ends.
func serveTest(t testing.TB, s *Server) *testBroker {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	done := make(chan error, 1)
	go func() { done <- s.Serve(l) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
		defer cancel()
		require.NoError(t, s.Shutdown(ctx))
		require.ErrorIs(t, <-done, ErrServerClosed)
	})
	return &testBroker{Server: s, addr: l.Addr().String()}
}

// testWriter sends broker logs to the test log.
type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Logf("%s", p)
	return len(p), nil
}

// pahoOpts returns paho client options for the broker with sane test defaults.
func (b *testBroker) pahoOpts(id string) *paho.ClientOptions {
	o := paho.NewClientOptions().AddBroker("tcp://" + b.addr).SetClientID(id)
	o.SetAutoReconnect(false).SetConnectRetry(false).SetConnectTimeout(waitTimeout)
	o.SetKeepAlive(30 * time.Second).SetProtocolVersion(4).SetOrderMatters(true)
	return o
}

// connect connects a paho client and disconnects it when the test ends.
func (b *testBroker) connect(t testing.TB, o *paho.ClientOptions) paho.Client {
	t.Helper()
	c := paho.NewClient(o)
	tok := c.Connect()
	require.True(t, tok.WaitTimeout(waitTimeout), "connect timed out")
	require.NoError(t, tok.Error())
	t.Cleanup(func() {
		if c.IsConnected() {
			c.Disconnect(100)
		}
	})
	return c
}

// waitConnected waits until the broker counts n connected clients: a client's DISCONNECT
// returns before the broker has detached its session.
func (b *testBroker) waitConnected(t testing.TB, n int64) {
	t.Helper()
	require.Eventually(t, func() bool { return b.Stats().ClientsConnected == n }, waitTimeout, time.Millisecond)
}

// wait waits for a paho token and requires success.
func wait(t testing.TB, tok paho.Token) {
	t.Helper()
	require.True(t, tok.WaitTimeout(waitTimeout), "token timed out")
	require.NoError(t, tok.Error())
}

// inbox collects messages delivered to a paho subscription.
type inbox struct {
	ch chan paho.Message
}

func newInbox() *inbox { return &inbox{ch: make(chan paho.Message, 10000)} }

func (in *inbox) handler(_ paho.Client, m paho.Message) { in.ch <- m }

// next returns the next message or fails the test after waitTimeout.
func (in *inbox) next(t testing.TB) paho.Message {
	t.Helper()
	select {
	case m := <-in.ch:
		return m
	case <-time.After(waitTimeout):
		t.Fatal("no message arrived")
		return nil
	}
}

// none requires that no message is pending after a round trip through the broker has
// completed (the caller does one first), so it needs no sleep.
func (in *inbox) none(t testing.TB) {
	t.Helper()
	select {
	case m := <-in.ch:
		t.Fatalf("unexpected message on %q: %q", m.Topic(), m.Payload())
	default:
	}
}

// subscribe subscribes c to filter at qos with in's handler.
func subscribe(t testing.TB, c paho.Client, filter string, qos byte, in *inbox) {
	t.Helper()
	wait(t, c.Subscribe(filter, qos, in.handler))
}

// rawClient speaks MQTT packet by packet over a plain TCP connection, for tests that need
// exact control of the bytes.
type rawClient struct {
	t  testing.TB
	nc net.Conn
	pr *packet.Reader
	v  packet.Version
	mu sync.Mutex
}

// dialRaw opens a TCP connection to the broker.
func (b *testBroker) dialRaw(t testing.TB) *rawClient { return dialRawAddr(t, b.addr) }

// dialRawAddr opens a TCP connection to the broker at addr.
func dialRawAddr(t testing.TB, addr string) *rawClient {
	t.Helper()
	nc, err := net.DialTimeout("tcp", addr, waitTimeout)
	require.NoError(t, err)
	t.Cleanup(func() { nc.Close() })
	return &rawClient{t: t, nc: nc, v: packet.V311, pr: packet.NewReader(bufio.NewReader(nc), packet.V311, 0)}
}

// send encodes and writes packets.
func (r *rawClient) send(ps ...packet.Packet) {
	r.t.Helper()
	var b []byte
	for _, p := range ps {
		var err error
		b, err = p.Encode(b, r.v)
		require.NoError(r.t, err)
	}
	r.sendBytes(b)
}

// sendBytes writes raw bytes.
func (r *rawClient) sendBytes(b []byte) {
	r.t.Helper()
	r.nc.SetWriteDeadline(time.Now().Add(waitTimeout))
	_, err := r.nc.Write(b)
	require.NoError(r.t, err)
}

// read reads the next packet, failing the test after waitTimeout.
func (r *rawClient) read() packet.Packet {
	r.t.Helper()
	r.nc.SetReadDeadline(time.Now().Add(waitTimeout))
	p, err := r.pr.Read()
	require.NoError(r.t, err)
	return p
}

// connect sends CONNECT and requires an accepting CONNACK; it returns the CONNACK.
func (r *rawClient) connect(c *packet.Connect) *packet.Connack {
	r.t.Helper()
	if c.Version == 0 {
		c.Version = packet.V311
	}
	if c.ProtocolName == "" {
		c.ProtocolName = "MQTT"
		if c.Version == packet.V31 {
			c.ProtocolName = "MQIsdp"
		}
	}
	r.v = c.Version
	r.pr.Version = c.Version
	r.send(c)
	ack, ok := r.read().(*packet.Connack)
	require.True(r.t, ok, "want CONNACK")
	return ack
}

// expectClosed requires that the broker closes the connection (EOF or reset) within
// waitTimeout, skipping any packets it sends first, and returns those packets.
func (r *rawClient) expectClosed() []packet.Packet {
	r.t.Helper()
	var got []packet.Packet
	r.nc.SetReadDeadline(time.Now().Add(waitTimeout))
	for {
		p, err := r.pr.Read()
		if err != nil {
			var ne net.Error
			require.False(r.t, errors.As(err, &ne) && ne.Timeout(), "connection was not closed")
			return got
		}
		got = append(got, p)
	}
}

// drainAll discards everything until EOF; used by goroutines that only keep a socket open.
func drainAll(r io.Reader) { _, _ = io.Copy(io.Discard, r) }

// sessionStuck reports whether publishers have given up waiting for the session id.
func (b *testBroker) sessionStuck(id string) bool {
	b.mu.Lock()
	s := b.sessions[id]
	b.mu.Unlock()
	return s != nil && s.isStuck()
}

// subscriber dials addr and connects a raw client with a kept session (clean session 0),
// subscribed to filter at qos.
func subscriber(t testing.TB, addr, id, filter string, qos packet.QoS) *rawClient {
	t.Helper()
	r := dialRawAddr(t, addr)
	r.connect(&packet.Connect{ClientID: id, CleanStart: false})
	r.send(&packet.Subscribe{PacketID: 1, Subscriptions: []packet.Subscription{{Filter: filter, QoS: qos}}})
	require.IsType(t, &packet.Suback{}, r.read())
	return r
}

// leave disconnects the client politely and waits until the broker has closed it.
func (r *rawClient) leave() {
	r.t.Helper()
	r.send(&packet.Disconnect{})
	r.expectClosed()
}

// publish2 publishes payload on topic at QoS 2 with packet id id, through PUBCOMP.
func (r *rawClient) publish2(id uint16, topic, payload string) {
	r.t.Helper()
	r.send(&packet.Publish{QoS: 2, PacketID: id, Topic: topic, Payload: []byte(payload)})
	require.Equal(r.t, &packet.Ack{Kind: packet.PUBREC, PacketID: id}, r.read())
	r.send(&packet.Ack{Kind: packet.PUBREL, PacketID: id})
	require.Equal(r.t, &packet.Ack{Kind: packet.PUBCOMP, PacketID: id}, r.read())
}
