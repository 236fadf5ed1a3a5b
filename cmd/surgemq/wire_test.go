package main

import (
	"bufio"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/lonelyleaf/surgemq/mqtt/packet"
)

// session is what a client sent over one connection to wireBroker.
type session struct {
	connect *packet.Connect
	sub     []packet.Subscription
	pubs    []*packet.Publish
}

// wireBroker is a minimal MQTT server on 127.0.0.1:0 that records what each client sends, so
// tests can check what a flag puts on the wire. It accepts every CONNECT, grants every
// subscription, acknowledges QoS 1 and 2, answers pings, and hands over each connection's
// record when the client leaves.
func wireBroker(t *testing.T) (addr string, sessions <-chan session) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { l.Close() })
	out := make(chan session, 16)
	go func() {
		for {
			nc, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer nc.Close()
				out <- serveWire(nc)
			}()
		}
	}()
	return l.Addr().String(), out
}

// serveWire serves one connection of wireBroker until the client disconnects or fails.
func serveWire(nc net.Conn) session {
	var s session
	r := packet.NewReader(bufio.NewReader(nc), packet.V311, 1<<20)
	send := func(p packet.Packet) {
		b, err := p.Encode(nil, r.Version)
		if err == nil {
			_, _ = nc.Write(b)
		}
	}
	for {
		p, err := r.Read()
		if err != nil {
			return s
		}
		switch p := p.(type) {
		case *packet.Connect:
			s.connect, r.Version = p, p.Version
			send(&packet.Connack{})
		case *packet.Subscribe:
			s.sub = append(s.sub, p.Subscriptions...)
			codes := make([]byte, len(p.Subscriptions))
			for i, sub := range p.Subscriptions {
				codes[i] = byte(sub.QoS)
			}
			send(&packet.Suback{PacketID: p.PacketID, ReasonCodes: codes})
		case *packet.Publish:
			s.pubs = append(s.pubs, p)
			switch p.QoS {
			case 1:
				send(&packet.Ack{Kind: packet.PUBACK, PacketID: p.PacketID})
			case 2:
				send(&packet.Ack{Kind: packet.PUBREC, PacketID: p.PacketID})
			}
		case *packet.Ack:
			if p.Kind == packet.PUBREL {
				send(&packet.Ack{Kind: packet.PUBCOMP, PacketID: p.PacketID})
			}
		case *packet.Pingreq:
			send(&packet.Pingresp{})
		case *packet.Disconnect:
			return s
		}
	}
}

// TestConnectFlagsOnTheWire checks what -V, -k, -i, -c, -u/-P and the will flags put in
// CONNECT, -t (repeated) and -L in SUBSCRIBE, and -q/-r in PUBLISH.
func TestConnectFlagsOnTheWire(t *testing.T) {
	addr, sessions := wireBroker(t)
	hp := hostPort(addr)
	next := func() session {
		select {
		case s := <-sessions:
			return s
		case <-time.After(10 * time.Second):
			t.Fatal("the command's connection did not end")
			return session{}
		}
	}

	for _, tc := range []struct {
		v     string
		name  string
		level packet.Version
	}{{"31", "MQIsdp", packet.V31}, {"311", "MQTT", packet.V311}, {"mqttv311", "MQTT", packet.V311}, {"5", "MQTT", packet.V5}} {
		res := run(t, "sub", "", args(hp, []string{"-V", tc.v, "-k", "0", "-i", "wire-" + tc.v, "-c", "-q", "1",
			"-t", "a/#", "-t", "b", "-E", "-u", "alice", "-P", "secret"})...)
		require.Equal(t, 0, res.code, res.stderr)
		s := next()
		c := s.connect
		require.NotNil(t, c, "-V %s: no CONNECT", tc.v)
		require.Equal(t, tc.name, c.ProtocolName, "-V %s", tc.v)
		require.Equal(t, tc.level, c.Version, "-V %s", tc.v)
		require.Equal(t, uint16(0), c.KeepAlive, "-k 0")
		require.Equal(t, "wire-"+tc.v, c.ClientID)
		require.False(t, c.CleanStart, "-c")
		require.Equal(t, "alice", c.Username)
		require.Equal(t, "secret", string(c.Password))
		require.Equal(t, []packet.Subscription{{Filter: "a/#", QoS: 1}, {Filter: "b", QoS: 1}},
			filtersAndQoS(s.sub), "-t twice: one SUBSCRIBE with both filters")
	}

	res := run(t, "pub", "", args(hp, []string{"-k", "7", "-t", "p/x", "-m", "hi", "-q", "2", "-r",
		"--will-topic", "w/gone", "--will-payload", "bye", "--will-qos", "1", "--will-retain"})...)
	require.Equal(t, 0, res.code, res.stderr)
	s := next()
	require.Equal(t, uint16(7), s.connect.KeepAlive, "-k 7")
	require.True(t, s.connect.CleanStart, "clean by default")
	require.Equal(t, &packet.Will{Topic: "w/gone", Payload: []byte("bye"), QoS: 1, Retain: true}, s.connect.Will)
	require.Len(t, s.pubs, 1)
	require.Equal(t, "p/x", s.pubs[0].Topic)
	require.Equal(t, "hi", string(s.pubs[0].Payload))
	require.Equal(t, packet.QoS(2), s.pubs[0].QoS)
	require.True(t, s.pubs[0].Retain)

	// -L names broker and topic in one URL.
	res = run(t, "sub", "", "-L", "mqtt://"+addr+"/from/url", "-E")
	require.Equal(t, 0, res.code, res.stderr)
	require.Equal(t, []packet.Subscription{{Filter: "from/url"}}, filtersAndQoS(next().sub))

	// -d reports the connection on stderr; without it, stderr stays empty.
	res = run(t, "sub", "", args(hp, []string{"-t", "a", "-E", "-d"})...)
	require.Equal(t, 0, res.code)
	require.True(t, strings.Contains(res.stderr, "mqtt connected"), "-d printed %q", res.stderr)
	next()
	res = run(t, "sub", "", args(hp, []string{"-t", "a", "-E"})...)
	require.Equal(t, 0, res.code)
	require.Empty(t, res.stderr)
	next()
}

// filtersAndQoS keeps the filter and QoS of subscriptions, the fields the flags set.
func filtersAndQoS(subs []packet.Subscription) []packet.Subscription {
	out := make([]packet.Subscription, len(subs))
	for i, s := range subs {
		out[i] = packet.Subscription{Filter: s.Filter, QoS: s.QoS}
	}
	return out
}
