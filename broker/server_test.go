package broker

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/lonelyleaf/surgemq/mqtt/packet"
)

func TestNewValidatesOptions(t *testing.T) {
	for _, o := range []Options{{MaxConnections: -1}, {MaxPacketSize: -1}, {MaxPacketSize: 1 << 30}, {MaxInflight: 70000}, {WriteTimeout: -time.Second}} {
		_, err := New(o)
		require.ErrorIs(t, err, ErrInvalidOptions, "%+v", o)
	}
}

// One server serves several listeners; Shutdown closes them all, the clients too, and Serve
// returns ErrServerClosed, also when called after Shutdown.
func TestLifecycle(t *testing.T) {
	s, err := New(Options{SysInterval: -1})
	require.NoError(t, err)
	var addrs []string
	errc := make(chan error, 2)
	for range 2 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		addrs = append(addrs, l.Addr().String())
		go func() { errc <- s.Serve(l) }()
	}
	var clients []*rawClient
	for i, a := range addrs {
		tb := &testBroker{Server: s, addr: a}
		r := tb.dialRaw(t)
		r.connect(&packet.Connect{ClientID: string(rune('a' + i)), CleanStart: true})
		clients = append(clients, r)
	}
	require.Eventually(t, func() bool { return len(s.Addrs()) == 2 }, waitTimeout, time.Millisecond)

	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	require.NoError(t, s.Shutdown(ctx))
	for range 2 {
		require.ErrorIs(t, <-errc, ErrServerClosed)
	}
	for _, r := range clients {
		r.expectClosed()
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	require.ErrorIs(t, s.Serve(l), ErrServerClosed)
	require.ErrorIs(t, s.Publish("x", nil, 0, false), ErrServerClosed)
	require.NoError(t, s.Shutdown(ctx), "a second Shutdown is harmless")
}

// ListenAndServe listens on the address it is given and serves it until Shutdown; a bad
// address is its error.
func TestListenAndServe(t *testing.T) {
	s, err := New(Options{SysInterval: -1})
	require.NoError(t, err)
	require.Error(t, s.ListenAndServe("127.0.0.1:-1"))
	errc := make(chan error, 1)
	go func() { errc <- s.ListenAndServe("127.0.0.1:0") }()
	require.Eventually(t, func() bool { return len(s.Addrs()) == 1 }, waitTimeout, time.Millisecond)
	r := dialRawAddr(t, s.Addrs()[0].String())
	require.Equal(t, byte(0), r.connect(&packet.Connect{ClientID: "las", CleanStart: true}).ReasonCode)

	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	require.NoError(t, s.Shutdown(ctx))
	require.ErrorIs(t, <-errc, ErrServerClosed)
}

// A 5.0 client taken over hears DISCONNECT 0x8E [MQTT-3.1.4-3]; one disconnected by Shutdown
// hears 0x8B.
func TestV5DisconnectReasons(t *testing.T) {
	b := startBroker(t, Options{})
	first := b.dialRaw(t)
	first.connect(&packet.Connect{Version: packet.V5, ClientID: "same", CleanStart: true})
	second := b.dialRaw(t)
	second.connect(&packet.Connect{Version: packet.V5, ClientID: "same", CleanStart: true})
	require.Equal(t, []packet.Packet{&packet.Disconnect{ReasonCode: packet.ErrSessionTakenOver.Value}}, first.expectClosed())

	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	require.NoError(t, b.Shutdown(ctx))
	require.Equal(t, []packet.Packet{&packet.Disconnect{ReasonCode: packet.ErrServerShuttingDown.Value}}, second.expectClosed())
}
