package broker

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/lonelyleaf/surgemq/mqtt/packet"
)

// connect311 is a valid 3.1.1 CONNECT for client id "m", clean session, keepalive 60.
var connect311 = []byte{0x10, 13, 0, 4, 'M', 'Q', 'T', 'T', 4, 0x02, 0, 60, 0, 1, 'm'}

// Malformed packets and forbidden sequences close only their own connection; the broker keeps
// serving everyone else and never panics.
func TestMalformedInput(t *testing.T) {
	cases := []struct {
		name string
		pre  bool // send a valid CONNECT first
		data []byte
	}{
		{"remaining length of five bytes", false, []byte{0x10, 0xff, 0xff, 0xff, 0xff, 0x01}},
		{"remaining length over the maximum packet size", false, []byte{0x10, 0xff, 0xff, 0x7f}},
		{"publish before connect", false, []byte{0x30, 5, 0, 1, 'a', 'h', 'i'}},
		{"subscribe before connect", false, []byte{0x82, 6, 0, 1, 0, 1, 'a', 0}},
		{"wrong protocol name", false, []byte{0x10, 13, 0, 4, 'M', 'Q', 'T', 'X', 4, 0x02, 0, 60, 0, 1, 'm'}},
		{"reserved connect flag", false, []byte{0x10, 13, 0, 4, 'M', 'Q', 'T', 'T', 4, 0x03, 0, 60, 0, 1, 'm'}},
		{"invalid UTF-8 client id", false, []byte{0x10, 13, 0, 4, 'M', 'Q', 'T', 'T', 4, 0x02, 0, 60, 0, 1, 0xff}},
		{"U+0000 in client id", false, []byte{0x10, 13, 0, 4, 'M', 'Q', 'T', 'T', 4, 0x02, 0, 60, 0, 1, 0}},
		{"truncated connect then EOF", false, []byte{0x10, 13, 0, 4, 'M'}},
		{"second connect", true, connect311},
		{"reserved bits in pingreq", true, []byte{0xc1, 0}},
		{"reserved bits in subscribe", true, []byte{0x80, 6, 0, 1, 0, 1, 'a', 0}},
		{"publish qos 3", true, []byte{0x36, 5, 0, 1, 'a', 'h', 'i'}},
		{"publish packet id 0 at qos 1", true, []byte{0x32, 7, 0, 1, 'a', 0, 0, 'h', 'i'}},
		{"wildcard in publish topic", true, []byte{0x30, 5, 0, 1, '#', 'h', 'i'}},
		{"plus in publish topic", true, []byte{0x30, 7, 0, 3, 'a', '/', '+', 'h', 'i'}},
		{"invalid UTF-8 in publish topic", true, []byte{0x30, 5, 0, 1, 0xc0, 'h', 'i'}},
		{"topic length beyond packet", true, []byte{0x30, 3, 0, 9, 'a'}},
		{"empty subscribe", true, []byte{0x82, 2, 0, 1}},
		{"subscribe qos 3", true, []byte{0x82, 6, 0, 1, 0, 1, 'a', 3}},
		{"empty unsubscribe", true, []byte{0xa2, 2, 0, 1}},
		{"connack from client", true, []byte{0x20, 2, 0, 0}},
		{"reserved packet type 0", true, []byte{0x00, 0}},
		{"pingreq with body", true, []byte{0xc0, 1, 0}},
	}
	b := startBroker(t, Options{MaxPacketSize: 1 << 16})
	bystander := b.dialRaw(t)
	bystander.connect(&packet.Connect{ClientID: "bystander", CleanStart: true})
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := b.dialRaw(t)
			if tc.pre {
				r.sendBytes(connect311)
				require.IsType(t, &packet.Connack{}, r.read())
			}
			r.sendBytes(tc.data)
			if tc.name == "truncated connect then EOF" {
				r.nc.(interface{ CloseWrite() error }).CloseWrite()
			}
			for _, p := range r.expectClosed() {
				_, isConnack := p.(*packet.Connack)
				require.True(t, isConnack, "only a CONNACK may precede the close, got %v", p)
			}
			// The broker still serves others.
			bystander.send(&packet.Pingreq{})
			require.Equal(t, &packet.Pingresp{}, bystander.read())
		})
	}
}

// A 5.0 client that breaks the protocol hears why in a DISCONNECT before the close.
func TestMalformedV5Disconnect(t *testing.T) {
	b := startBroker(t, Options{MaxPacketSize: 100})
	r := b.dialRaw(t)
	r.connect(&packet.Connect{Version: packet.V5, ClientID: "v5", CleanStart: true})
	r.send(&packet.Publish{Topic: "big", Payload: make([]byte, 200)})
	got := r.expectClosed()
	require.Equal(t, []packet.Packet{&packet.Disconnect{ReasonCode: packet.ErrPacketTooLarge.Value}}, got)
}
