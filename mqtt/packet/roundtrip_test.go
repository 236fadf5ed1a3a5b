package packet

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"testing"
	"testing/iotest"

	"github.com/stretchr/testify/require"
)

var versions = []Version{V31, V311, V5}

// samples returns one packet of every type that version v can carry, exercising QoS q where a
// packet has a QoS, with 5.0 properties and reason codes only when v is 5.0.
func samples(v Version, q QoS) []Packet {
	v5 := v == V5
	props := func(p *Properties) *Properties {
		if v5 {
			return p
		}
		return nil
	}
	code := func(c byte) byte {
		if v5 {
			return c
		}
		return 0
	}
	id := uint16(q)*1000 + 1
	will := &Will{Topic: "will/" + v.String(), Payload: []byte("down"), QoS: q, Retain: q == QoS1,
		Properties: props(&Properties{WillDelay: new(uint32(10)), PayloadFormat: new(byte(1))})}
	sub := Subscription{Filter: "room/+/temp", QoS: q}
	if v5 {
		sub.NoLocal, sub.RetainAsPublished, sub.RetainHandling = q == QoS1, q == QoS2, byte(q)
	}
	pub := &Publish{QoS: q, Retain: q != QoS1, Topic: "room/1/temp", Payload: bytes.Repeat([]byte{byte(q)}, 200),
		Properties: props(&Properties{MessageExpiry: new(uint32(uint32(q) + 1)), TopicAlias: new(uint16(2))})}
	if q > QoS0 {
		pub.PacketID, pub.Dup = id, q == QoS2
	}
	ps := []Packet{
		&Connect{ProtocolName: protocolName(v), Version: v, CleanStart: q != QoS1, KeepAlive: 30, ClientID: "rt",
			Will: will, UsernameFlag: true, Username: "name", PasswordFlag: true, Password: []byte{0, 0xff},
			Properties: props(&Properties{ReceiveMaximum: new(uint16(10)), SessionExpiry: new(uint32(60))})},
		&Connect{ProtocolName: protocolName(v), Version: v, ClientID: "bare"},
		&Connack{SessionPresent: q == QoS1, ReasonCode: code(ErrServerBusy.Value) * byte(q/2),
			Properties: props(&Properties{MaximumQoS: new(byte(1)), AssignedClientID: new("x")})},
		pub,
		&Publish{QoS: q, Topic: "t", PacketID: id * uint16(min(q, 1))},
		&Subscribe{PacketID: id, Subscriptions: []Subscription{sub, {Filter: "#"}},
			Properties: props(&Properties{SubscriptionIDs: []uint32{uint32(q) + 7}})},
		&Suback{PacketID: id, ReasonCodes: []byte{byte(q), SubackFailure},
			Properties: props(&Properties{ReasonString: new("ok")})},
		&Unsubscribe{PacketID: id, Filters: []string{"room/+/temp", "#"},
			Properties: props(&Properties{User: []UserProperty{{"k", "v"}}})},
		&Pingreq{},
		&Pingresp{},
		&Disconnect{ReasonCode: code(CodeDisconnectWithWill) * byte(q%2),
			Properties: props(&Properties{ReasonString: new(fmt.Sprint("q", q))})},
	}
	if v5 {
		ps = append(ps,
			&Unsuback{PacketID: id, ReasonCodes: []byte{CodeSuccess, CodeNoSubscriptionExisted}},
			&Auth{ReasonCode: CodeContinueAuth, Properties: &Properties{AuthMethod: new("m"), AuthData: []byte{byte(q)}}},
			&Auth{},
		)
	} else {
		ps = append(ps, &Unsuback{PacketID: id})
	}
	for kind := PUBACK; kind <= PUBCOMP; kind++ {
		ps = append(ps, &Ack{Kind: kind, PacketID: id})
		if v5 {
			c := CodeSuccess
			if q > QoS0 {
				c = ErrPacketIDNotFound.Value
				if kind == PUBACK || kind == PUBREC {
					c = ErrQuotaExceeded.Value
				}
			}
			ps = append(ps, &Ack{Kind: kind, PacketID: id, ReasonCode: c,
				Properties: props(&Properties{ReasonString: new("r")})})
		}
	}
	return ps
}

// TestRoundTrip encodes every packet type at every version and QoS and reads it back, alone,
// through DecodeBody, and all of them back to back through a stream that returns one byte at a
// time with a bufio buffer smaller than most packets.
func TestRoundTrip(t *testing.T) {
	for _, v := range versions {
		for q := QoS0; q <= QoS2; q++ {
			t.Run(fmt.Sprintf("%v/qos%d", v, q), func(t *testing.T) {
				var stream []byte
				ps := samples(v, q)
				for _, p := range ps {
					b, err := p.Encode(nil, v)
					require.NoError(t, err, "%v", p)
					stream = append(stream, b...)

					got, n, err := Decode(b, v)
					require.NoError(t, err, "%v", p)
					require.Equal(t, len(b), n)
					require.Equal(t, p, got)

					again, err := got.Encode(nil, v)
					require.NoError(t, err)
					require.Equal(t, b, again, "re-encoding a decoded packet is stable")
				}
				r := NewReader(bufio.NewReaderSize(iotest.OneByteReader(bytes.NewReader(stream)), 16), v, 0)
				for _, p := range ps {
					got, err := r.Read()
					require.NoError(t, err)
					require.Equal(t, p, got)
				}
				_, err := r.Read()
				require.ErrorIs(t, err, io.EOF)
			})
		}
	}
}

// TestEncodeLeavesOutWhatTheVersionLacks encodes 5.0 fields at 3.1.1: they must vanish, not fail.
func TestEncodeLeavesOutWhatTheVersionLacks(t *testing.T) {
	props := &Properties{ReasonString: new("r"), User: []UserProperty{{"a", "b"}}}
	cases := []struct {
		in, want Packet
	}{
		{&Publish{Topic: "a", Properties: &Properties{MessageExpiry: new(uint32(1))}}, &Publish{Topic: "a"}},
		{&Ack{Kind: PUBACK, PacketID: 1, ReasonCode: 0x10, Properties: props}, &Ack{Kind: PUBACK, PacketID: 1}},
		{&Ack{Kind: PUBREL, PacketID: 1, ReasonCode: 0x92}, &Ack{Kind: PUBREL, PacketID: 1}},
		{&Suback{PacketID: 1, ReasonCodes: []byte{0, 0x87, 0xa2, 2}, Properties: props},
			&Suback{PacketID: 1, ReasonCodes: []byte{0, 0x80, 0x80, 2}}},
		{&Unsuback{PacketID: 1, ReasonCodes: []byte{0x11}, Properties: props}, &Unsuback{PacketID: 1}},
		{&Disconnect{ReasonCode: 0x04, Properties: props}, &Disconnect{}},
		{&Connack{ReasonCode: ConnRefusedIdentifier, Properties: props}, &Connack{ReasonCode: ConnRefusedIdentifier}},
		{&Subscribe{PacketID: 1, Properties: &Properties{SubscriptionIDs: []uint32{1}},
			Subscriptions: []Subscription{{Filter: "f", QoS: 1, NoLocal: true, RetainAsPublished: true, RetainHandling: 2}}},
			&Subscribe{PacketID: 1, Subscriptions: []Subscription{{Filter: "f", QoS: 1}}}},
		{&Unsubscribe{PacketID: 1, Filters: []string{"f"}, Properties: props}, &Unsubscribe{PacketID: 1, Filters: []string{"f"}}},
		{&Connect{ClientID: "c", Properties: &Properties{SessionExpiry: new(uint32(9))},
			Will: &Will{Topic: "w", Properties: &Properties{WillDelay: new(uint32(1))}}},
			&Connect{ProtocolName: "MQTT", Version: V311, ClientID: "c", Will: &Will{Topic: "w"}}},
	}
	for _, c := range cases {
		b, err := c.in.Encode(nil, V311)
		require.NoError(t, err, "%v", c.in)
		got, _, err := Decode(b, V311)
		require.NoError(t, err)
		require.Equal(t, c.want, got)
	}
}

// TestConnectVersionSelection checks which level a CONNECT is encoded at and that the Reader
// decodes it at its own level, whatever Reader.Version says.
func TestConnectVersionSelection(t *testing.T) {
	b, err := (&Connect{ClientID: "a"}).Encode(nil, 0)
	require.NoError(t, err)
	require.Equal(t, pkt(0x10, str("MQTT"), by(4, 0), u16(0), str("a")), b, "zero version means 3.1.1")

	b, err = (&Connect{Version: V31, ClientID: "a"}).Encode(nil, 0)
	require.NoError(t, err)
	require.Equal(t, pkt(0x10, str("MQIsdp"), by(3, 0), u16(0), str("a")), b, "c.Version wins over a zero v")

	for _, v := range versions {
		b, err := (&Connect{ClientID: "a"}).Encode(nil, v)
		require.NoError(t, err)
		for _, rv := range []Version{0, V31, V311, V5, 77} {
			p, err := NewReader(bufio.NewReader(bytes.NewReader(b)), rv, 0).Read()
			require.NoError(t, err)
			require.Equal(t, v, p.(*Connect).Version)
			require.Equal(t, protocolName(v), p.(*Connect).ProtocolName)
		}
	}
}

func TestString(t *testing.T) {
	cases := []struct {
		p    Packet
		want string
	}{
		{&Publish{QoS: 1, PacketID: 3, Topic: "a/b", Payload: []byte("hello")}, `PUBLISH(id=3 qos=1 topic="a/b" len=5)`},
		{&Publish{Retain: true, Topic: "", Properties: &Properties{TopicAlias: new(uint16(4))}}, `PUBLISH(qos=0 retain topic="" alias=4 len=0)`},
		{&Publish{QoS: 2, Dup: true, PacketID: 1, Topic: "x"}, `PUBLISH(id=1 qos=2 dup topic="x" len=0)`},
		{&Connect{Version: V5, ClientID: "c1", CleanStart: true, KeepAlive: 60, Will: &Will{Topic: "w"},
			UsernameFlag: true, Username: "u", PasswordFlag: true, Password: []byte("secret")},
			`CONNECT(v=5.0 id="c1" clean keepalive=60 will="w" user="u" password)`},
		{&Connack{SessionPresent: true}, `CONNACK(code=0x00 session)`},
		{&Ack{Kind: PUBREC, PacketID: 9, ReasonCode: 0x10}, `PUBREC(id=9 code=0x10)`},
		{&Ack{Kind: PUBCOMP, PacketID: 9}, `PUBCOMP(id=9)`},
		{&Subscribe{PacketID: 1, Subscriptions: []Subscription{{Filter: "a/#", QoS: 1}, {Filter: "b"}}}, `SUBSCRIBE(id=1 "a/#":1 "b":0)`},
		{&Subscribe{PacketID: 1, Subscriptions: make([]Subscription, 6)}, `SUBSCRIBE(id=1 "":0 "":0 "":0 "":0 +2)`},
		{&Suback{PacketID: 2, ReasonCodes: []byte{0, 0x80}}, `SUBACK(id=2 codes=[0x00 0x80])`},
		{&Suback{PacketID: 2, ReasonCodes: make([]byte, 5)}, `SUBACK(id=2 codes=[0x00 0x00 0x00 0x00 +1])`},
		{&Unsubscribe{PacketID: 3, Filters: []string{"a"}}, `UNSUBSCRIBE(id=3 "a")`},
		{&Unsuback{PacketID: 3}, `UNSUBACK(id=3)`},
		{&Unsuback{PacketID: 3, ReasonCodes: []byte{0x11}}, `UNSUBACK(id=3 codes=[0x11])`},
		{&Pingreq{}, `PINGREQ`},
		{&Pingresp{}, `PINGRESP`},
		{&Disconnect{ReasonCode: 0x8b}, `DISCONNECT(code=0x8b)`},
		{&Auth{ReasonCode: 0x18}, `AUTH(code=0x18)`},
	}
	for _, c := range cases {
		require.Equal(t, c.want, c.p.String())
	}
}
