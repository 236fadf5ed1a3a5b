package packet

import (
	"bufio"
	"bytes"
	"io"
	"testing"

	"github.com/stretchr/testify/require"
)

// golden is a packet with its exact wire bytes at one version. Unless decodeOnly, Encode must
// produce exactly b; Read, DecodeBody and Decode must turn b into exactly p.
type golden struct {
	name       string
	v          Version
	p          Packet
	b          []byte
	decodeOnly bool // a valid form Encode does not produce (it uses the shortest)
}

// user is a user property on the wire.
func user(k, v string) []byte { return cat(by(0x26), str(k), str(v)) }

var goldens = []golden{
	// CONNECT
	{name: "connect 3.1.1 literal", v: V311,
		p: &Connect{ProtocolName: "MQTT", Version: V311, CleanStart: true, KeepAlive: 60, ClientID: "test"},
		b: hx("10 10 00 04 4d 51 54 54 04 02 00 3c 00 04 74 65 73 74")},
	{name: "connect 3.1", v: V31,
		p: &Connect{ProtocolName: "MQIsdp", Version: V31, CleanStart: true, KeepAlive: 10, ClientID: "c1"},
		b: pkt(0x10, str("MQIsdp"), by(3, 0x02), u16(10), str("c1"))},
	{name: "connect 3.1 will qos2 username", v: V31,
		p: &Connect{ProtocolName: "MQIsdp", Version: V31, CleanStart: true, KeepAlive: 5, ClientID: "c31",
			Will: &Will{Topic: "w", Payload: []byte("gone"), QoS: QoS2}, UsernameFlag: true, Username: "bob"},
		b: pkt(0x10, str("MQIsdp"), by(3, 0x96), u16(5), str("c31"), str("w"), str("gone"), str("bob"))},
	{name: "connect 3.1.1 will retain username password", v: V311,
		p: &Connect{ProtocolName: "MQTT", Version: V311, KeepAlive: 30, ClientID: "dev-1",
			Will:         &Will{Topic: "dev/1/status", Payload: []byte("offline"), QoS: QoS1, Retain: true},
			UsernameFlag: true, Username: "user", PasswordFlag: true, Password: []byte("pw")},
		b: pkt(0x10, str("MQTT"), by(4, 0xec), u16(30), str("dev-1"), str("dev/1/status"), str("offline"),
			str("user"), str("pw"))},
	{name: "connect 3.1.1 empty client id empty will payload", v: V311,
		p: &Connect{ProtocolName: "MQTT", Version: V311, CleanStart: true, Will: &Will{Topic: "t"}},
		b: pkt(0x10, str("MQTT"), by(4, 0x06), u16(0), str(""), str("t"), str(""))},
	{name: "connect 5.0 no properties", v: V5,
		p: &Connect{ProtocolName: "MQTT", Version: V5, CleanStart: true, KeepAlive: 60, ClientID: "c5"},
		b: pkt(0x10, str("MQTT"), by(5, 0x02), u16(60), by(0), str("c5"))},
	{name: "connect 5.0 all properties will properties username password", v: V5,
		p: &Connect{ProtocolName: "MQTT", Version: V5, CleanStart: true, KeepAlive: 120, ClientID: "c5",
			Properties: &Properties{SessionExpiry: new(uint32(3600)), AuthMethod: new("SCRAM-SHA-1"),
				AuthData: []byte("data"), RequestProblemInfo: new(byte(0)), RequestResponseInfo: new(byte(1)),
				ReceiveMaximum: new(uint16(100)), TopicAliasMaximum: new(uint16(10)),
				User: []UserProperty{{"k", "v"}}, MaximumPacketSize: new(uint32(1 << 20))},
			Will: &Will{Topic: "will/t", Payload: []byte("bye"), QoS: QoS2,
				Properties: &Properties{PayloadFormat: new(byte(1)), MessageExpiry: new(uint32(60)),
					ContentType: new("text/plain"), ResponseTopic: new("resp/1"), CorrelationData: []byte{1, 2, 3},
					WillDelay: new(uint32(5)), User: []UserProperty{{"a", "b"}}}},
			UsernameFlag: true, Username: "u", PasswordFlag: true, Password: []byte("p")},
		b: pkt(0x10, str("MQTT"), by(5, 0xd6), u16(120),
			pl(cat(by(0x11), u32(3600)), cat(by(0x15), str("SCRAM-SHA-1")), cat(by(0x16), str("data")),
				by(0x17, 0), by(0x19, 1), cat(by(0x21), u16(100)), cat(by(0x22), u16(10)), user("k", "v"),
				cat(by(0x27), u32(1<<20))),
			str("c5"),
			pl(by(0x01, 1), cat(by(0x02), u32(60)), cat(by(0x03), str("text/plain")), cat(by(0x08), str("resp/1")),
				cat(by(0x09), u16(3), by(1, 2, 3)), cat(by(0x18), u32(5)), user("a", "b")),
			str("will/t"), str("bye"), str("u"), str("p"))},
	{name: "connect 5.0 password without username", v: V5,
		p: &Connect{ProtocolName: "MQTT", Version: V5, CleanStart: true, ClientID: "x",
			PasswordFlag: true, Password: []byte("token")},
		b: pkt(0x10, str("MQTT"), by(5, 0x42), u16(0), by(0), str("x"), str("token"))},

	// CONNACK
	{name: "connack 3.1", v: V31, p: &Connack{}, b: pkt(0x20, by(0, 0))},
	{name: "connack 3.1.1 session present literal", v: V311, p: &Connack{SessionPresent: true},
		b: hx("20 02 01 00")},
	{name: "connack 3.1.1 refused", v: V311, p: &Connack{ReasonCode: ConnRefusedNotAuthorized},
		b: pkt(0x20, by(0, 5))},
	{name: "connack 5.0 no properties", v: V5, p: &Connack{}, b: pkt(0x20, by(0, 0), by(0))},
	{name: "connack 5.0 all properties", v: V5,
		p: &Connack{SessionPresent: true, Properties: &Properties{SessionExpiry: new(uint32(7200)),
			AssignedClientID: new("auto-1"), ServerKeepAlive: new(uint16(30)), AuthMethod: new("m"),
			AuthData: []byte("d"), ResponseInfo: new("ri"), ServerReference: new("other:1883"),
			ReasonString: new("welcome"), ReceiveMaximum: new(uint16(20)), TopicAliasMaximum: new(uint16(5)),
			MaximumQoS: new(byte(1)), RetainAvailable: new(byte(0)), User: []UserProperty{{"s", "1"}},
			MaximumPacketSize: new(uint32(65536)), WildcardSubAvailable: new(byte(1)),
			SubscriptionIDAvailable: new(byte(0)), SharedSubAvailable: new(byte(1))}},
		b: pkt(0x20, by(1, 0), pl(cat(by(0x11), u32(7200)), cat(by(0x12), str("auto-1")), cat(by(0x13), u16(30)),
			cat(by(0x15), str("m")), cat(by(0x16), str("d")), cat(by(0x1a), str("ri")),
			cat(by(0x1c), str("other:1883")), cat(by(0x1f), str("welcome")), cat(by(0x21), u16(20)),
			cat(by(0x22), u16(5)), by(0x24, 1), by(0x25, 0), user("s", "1"), cat(by(0x27), u32(65536)),
			by(0x28, 1), by(0x29, 0), by(0x2a, 1)))},
	{name: "connack 5.0 not authorized", v: V5,
		p: &Connack{ReasonCode: ErrNotAuthorized.Value, Properties: &Properties{ReasonString: new("nope")}},
		b: pkt(0x20, by(0, 0x87), pl(cat(by(0x1f), str("nope"))))},

	// PUBLISH
	{name: "publish 3.1 qos0", v: V31, p: &Publish{Topic: "a/b", Payload: []byte("hi")},
		b: pkt(0x30, str("a/b"), raw("hi"))},
	{name: "publish 3.1.1 qos0 literal", v: V311, p: &Publish{Topic: "a/b", Payload: []byte("hello")},
		b: hx("30 0a 00 03 61 2f 62 68 65 6c 6c 6f")},
	{name: "publish 3.1.1 qos1 retain", v: V311,
		p: &Publish{QoS: QoS1, Retain: true, Topic: "a/b", PacketID: 3, Payload: []byte("hello")},
		b: pkt(0x33, str("a/b"), u16(3), raw("hello"))},
	{name: "publish 3.1.1 qos2 dup empty payload", v: V311,
		p: &Publish{QoS: QoS2, Dup: true, Topic: "x", PacketID: 65535},
		b: pkt(0x3c, str("x"), u16(65535))},
	{name: "publish 3.1 qos2 utf8 topic", v: V31,
		p: &Publish{QoS: QoS2, Topic: "température/€", PacketID: 9, Payload: []byte{0, 1, 2}},
		b: pkt(0x34, str("température/€"), u16(9), by(0, 1, 2))},
	{name: "publish 5.0 qos0 no properties", v: V5, p: &Publish{Topic: "t", Payload: []byte("p")},
		b: pkt(0x30, str("t"), by(0), raw("p"))},
	{name: "publish 5.0 qos1 all properties", v: V5,
		p: &Publish{QoS: QoS1, Topic: "s/1", PacketID: 258, Payload: []byte("{}"),
			Properties: &Properties{PayloadFormat: new(byte(1)), MessageExpiry: new(uint32(30)),
				ContentType: new("application/json"), ResponseTopic: new("reply/me"),
				CorrelationData: []byte("corr"), SubscriptionIDs: []uint32{1, MaxRemainingLength},
				TopicAlias: new(uint16(7)), User: []UserProperty{{"k1", "v1"}, {"k1", "v2"}}}},
		b: pkt(0x32, str("s/1"), u16(258),
			pl(by(0x01, 1), cat(by(0x02), u32(30)), cat(by(0x03), str("application/json")),
				cat(by(0x08), str("reply/me")), cat(by(0x09), str("corr")), cat(by(0x0b), vbi(1)),
				cat(by(0x0b), vbi(MaxRemainingLength)), cat(by(0x23), u16(7)), user("k1", "v1"), user("k1", "v2")),
			raw("{}"))},
	{name: "publish 5.0 qos2 empty topic with alias", v: V5,
		p: &Publish{QoS: QoS2, PacketID: 9, Payload: []byte("x"), Properties: &Properties{TopicAlias: new(uint16(3))}},
		b: pkt(0x34, str(""), u16(9), pl(cat(by(0x23), u16(3))), raw("x"))},
	{name: "publish 5.0 empty correlation data retain", v: V5,
		p: &Publish{Retain: true, Topic: "r", Properties: &Properties{CorrelationData: []byte{}}},
		b: pkt(0x31, str("r"), pl(cat(by(0x09), u16(0))))},

	// PUBACK, PUBREC, PUBREL, PUBCOMP
	{name: "puback 3.1", v: V31, p: &Ack{Kind: PUBACK, PacketID: 1}, b: pkt(0x40, u16(1))},
	{name: "puback 3.1.1 literal", v: V311, p: &Ack{Kind: PUBACK, PacketID: 7}, b: hx("40 02 00 07")},
	{name: "pubrec 3.1", v: V31, p: &Ack{Kind: PUBREC, PacketID: 2}, b: pkt(0x50, u16(2))},
	{name: "pubrec 3.1.1", v: V311, p: &Ack{Kind: PUBREC, PacketID: 2}, b: pkt(0x50, u16(2))},
	{name: "pubrel 3.1", v: V31, p: &Ack{Kind: PUBREL, PacketID: 3}, b: pkt(0x62, u16(3))},
	{name: "pubrel 3.1.1 literal", v: V311, p: &Ack{Kind: PUBREL, PacketID: 3}, b: hx("62 02 00 03")},
	{name: "pubcomp 3.1", v: V31, p: &Ack{Kind: PUBCOMP, PacketID: 4}, b: pkt(0x70, u16(4))},
	{name: "pubcomp 3.1.1", v: V311, p: &Ack{Kind: PUBCOMP, PacketID: 4}, b: pkt(0x70, u16(4))},
	{name: "puback 5.0 short", v: V5, p: &Ack{Kind: PUBACK, PacketID: 5}, b: pkt(0x40, u16(5))},
	{name: "puback 5.0 reason string", v: V5,
		p: &Ack{Kind: PUBACK, PacketID: 5, ReasonCode: ErrQuotaExceeded.Value, Properties: &Properties{ReasonString: new("full")}},
		b: pkt(0x40, u16(5), by(0x97), pl(cat(by(0x1f), str("full"))))},
	{name: "pubrec 5.0 reason only", v: V5, p: &Ack{Kind: PUBREC, PacketID: 6, ReasonCode: CodeNoMatchingSubscribers},
		b: pkt(0x50, u16(6), by(0x10))},
	{name: "pubrel 5.0 properties", v: V5,
		p: &Ack{Kind: PUBREL, PacketID: 7, ReasonCode: ErrPacketIDNotFound.Value,
			Properties: &Properties{ReasonString: new("gone"), User: []UserProperty{{"a", "b"}}}},
		b: pkt(0x62, u16(7), by(0x92), pl(cat(by(0x1f), str("gone")), user("a", "b")))},
	{name: "pubcomp 5.0 success with user property", v: V5,
		p: &Ack{Kind: PUBCOMP, PacketID: 8, Properties: &Properties{User: []UserProperty{{"x", "y"}}}},
		b: pkt(0x70, u16(8), by(0), pl(user("x", "y")))},
	{name: "puback 5.0 success spelled out", v: V5, decodeOnly: true,
		p: &Ack{Kind: PUBACK, PacketID: 9}, b: pkt(0x40, u16(9), by(0), by(0))},
	{name: "pubcomp 5.0 success reason only", v: V5, decodeOnly: true,
		p: &Ack{Kind: PUBCOMP, PacketID: 9}, b: pkt(0x70, u16(9), by(0))},

	// SUBSCRIBE
	{name: "subscribe 3.1", v: V31, p: &Subscribe{PacketID: 1, Subscriptions: []Subscription{{Filter: "a/#", QoS: QoS1}}},
		b: pkt(0x82, u16(1), str("a/#"), by(1))},
	{name: "subscribe 3.1.1 literal", v: V311,
		p: &Subscribe{PacketID: 10, Subscriptions: []Subscription{{Filter: "a/b"}, {Filter: "c/#", QoS: QoS2}}},
		b: hx("82 0e 00 0a 00 03 61 2f 62 00 00 03 63 2f 23 02")},
	{name: "subscribe 5.0 options and properties", v: V5,
		p: &Subscribe{PacketID: 11, Properties: &Properties{SubscriptionIDs: []uint32{300}, User: []UserProperty{{"u", "v"}}},
			Subscriptions: []Subscription{
				{Filter: "s/+", QoS: QoS1, NoLocal: true, RetainAsPublished: true, RetainHandling: 2},
				{Filter: "$share/g/t", RetainHandling: 1},
			}},
		b: pkt(0x82, u16(11), pl(by(0x0b, 0xac, 0x02), user("u", "v")), str("s/+"), by(0x2d), str("$share/g/t"), by(0x10))},
	{name: "subscribe 5.0 no properties", v: V5, p: &Subscribe{PacketID: 2, Subscriptions: []Subscription{{Filter: "t"}}},
		b: pkt(0x82, u16(2), by(0), str("t"), by(0))},
	{name: "subscribe 3.1 dup flag", v: V31, decodeOnly: true,
		p: &Subscribe{PacketID: 1, Subscriptions: []Subscription{{Filter: "a"}}}, b: pkt(0x8a, u16(1), str("a"), by(0))},

	// SUBACK
	{name: "suback 3.1", v: V31, p: &Suback{PacketID: 1, ReasonCodes: []byte{1}}, b: pkt(0x90, u16(1), by(1))},
	{name: "suback 3.1.1 literal", v: V311, p: &Suback{PacketID: 10, ReasonCodes: []byte{0, 2, 0x80}},
		b: hx("90 05 00 0a 00 02 80")},
	{name: "suback 5.0 properties", v: V5,
		p: &Suback{PacketID: 3, ReasonCodes: []byte{0x01, 0x8f, 0x9e, 0xa2},
			Properties: &Properties{ReasonString: new("partial"), User: []UserProperty{{"n", "1"}}}},
		b: pkt(0x90, u16(3), pl(cat(by(0x1f), str("partial")), user("n", "1")), by(0x01, 0x8f, 0x9e, 0xa2))},
	{name: "suback 5.0 no properties", v: V5, p: &Suback{PacketID: 4, ReasonCodes: []byte{0}},
		b: pkt(0x90, u16(4), by(0), by(0))},

	// UNSUBSCRIBE
	{name: "unsubscribe 3.1", v: V31, p: &Unsubscribe{PacketID: 1, Filters: []string{"a"}}, b: pkt(0xa2, u16(1), str("a"))},
	{name: "unsubscribe 3.1.1", v: V311, p: &Unsubscribe{PacketID: 2, Filters: []string{"a/b", "c/#"}},
		b: pkt(0xa2, u16(2), str("a/b"), str("c/#"))},
	{name: "unsubscribe 5.0 properties", v: V5,
		p: &Unsubscribe{PacketID: 3, Filters: []string{"x"}, Properties: &Properties{User: []UserProperty{{"p", "q"}}}},
		b: pkt(0xa2, u16(3), pl(user("p", "q")), str("x"))},
	{name: "unsubscribe 5.0 no properties", v: V5, p: &Unsubscribe{PacketID: 4, Filters: []string{"y"}},
		b: pkt(0xa2, u16(4), by(0), str("y"))},

	// UNSUBACK
	{name: "unsuback 3.1", v: V31, p: &Unsuback{PacketID: 1}, b: pkt(0xb0, u16(1))},
	{name: "unsuback 3.1.1 literal", v: V311, p: &Unsuback{PacketID: 2}, b: hx("b0 02 00 02")},
	{name: "unsuback 5.0 properties", v: V5,
		p: &Unsuback{PacketID: 3, ReasonCodes: []byte{0x00, 0x11, 0x8f}, Properties: &Properties{ReasonString: new("r")}},
		b: pkt(0xb0, u16(3), pl(cat(by(0x1f), str("r"))), by(0x00, 0x11, 0x8f))},
	{name: "unsuback 5.0 no properties", v: V5, p: &Unsuback{PacketID: 4, ReasonCodes: []byte{0}},
		b: pkt(0xb0, u16(4), by(0), by(0))},

	// PINGREQ, PINGRESP
	{name: "pingreq 3.1", v: V31, p: &Pingreq{}, b: hx("c0 00")},
	{name: "pingreq 3.1.1", v: V311, p: &Pingreq{}, b: hx("c0 00")},
	{name: "pingreq 5.0", v: V5, p: &Pingreq{}, b: hx("c0 00")},
	{name: "pingresp 3.1", v: V31, p: &Pingresp{}, b: hx("d0 00")},
	{name: "pingresp 3.1.1", v: V311, p: &Pingresp{}, b: hx("d0 00")},
	{name: "pingresp 5.0", v: V5, p: &Pingresp{}, b: hx("d0 00")},

	// DISCONNECT
	{name: "disconnect 3.1", v: V31, p: &Disconnect{}, b: hx("e0 00")},
	{name: "disconnect 3.1.1", v: V311, p: &Disconnect{}, b: hx("e0 00")},
	{name: "disconnect 5.0 normal", v: V5, p: &Disconnect{}, b: hx("e0 00")},
	{name: "disconnect 5.0 with will", v: V5, p: &Disconnect{ReasonCode: CodeDisconnectWithWill}, b: hx("e0 01 04")},
	{name: "disconnect 5.0 properties", v: V5,
		p: &Disconnect{ReasonCode: ErrServerShuttingDown.Value, Properties: &Properties{SessionExpiry: new(uint32(0)),
			ServerReference: new("s2"), ReasonString: new("bye"), User: []UserProperty{{"w", "z"}}}},
		b: pkt(0xe0, by(0x8b), pl(cat(by(0x11), u32(0)), cat(by(0x1c), str("s2")), cat(by(0x1f), str("bye")), user("w", "z")))},
	{name: "disconnect 5.0 normal spelled out", v: V5, decodeOnly: true, p: &Disconnect{}, b: hx("e0 02 00 00")},

	// AUTH
	{name: "auth 5.0 success", v: V5, p: &Auth{}, b: hx("f0 00")},
	{name: "auth 5.0 continue", v: V5,
		p: &Auth{ReasonCode: CodeContinueAuth, Properties: &Properties{AuthMethod: new("SCRAM"), AuthData: []byte("chal"),
			ReasonString: new("continue"), User: []UserProperty{{"i", "j"}}}},
		b: pkt(0xf0, by(0x18), pl(cat(by(0x15), str("SCRAM")), cat(by(0x16), str("chal")), cat(by(0x1f), str("continue")),
			user("i", "j")))},
	{name: "auth 5.0 reauthenticate", v: V5, p: &Auth{ReasonCode: CodeReauthenticate}, b: pkt(0xf0, by(0x19), by(0))},
}

func TestGoldenEncode(t *testing.T) {
	for _, g := range goldens {
		if g.decodeOnly {
			continue
		}
		t.Run(g.name, func(t *testing.T) {
			got, err := g.p.Encode(nil, g.v)
			require.NoError(t, err)
			require.Equal(t, g.b, got)

			prefix := []byte{0xde, 0xad}
			got, err = g.p.Encode(prefix, g.v)
			require.NoError(t, err)
			require.Equal(t, cat(by(0xde, 0xad), g.b), got, "Encode appends to dst")
		})
	}
}

func TestGoldenDecode(t *testing.T) {
	for _, g := range goldens {
		t.Run(g.name, func(t *testing.T) {
			r := NewReader(bufio.NewReader(bytes.NewReader(g.b)), g.v, 0)
			p, err := r.Read()
			require.NoError(t, err)
			require.Equal(t, g.p, p)
			require.Equal(t, g.p.Type(), p.Type())
			_, err = r.Read()
			require.ErrorIs(t, err, io.EOF, "nothing after the packet")

			p, n, err := Decode(g.b, g.v)
			require.NoError(t, err)
			require.Equal(t, len(g.b), n)
			require.Equal(t, g.p, p)

			hdr := 2 // first byte, then the remaining length up to its last byte
			for g.b[hdr-1]&0x80 != 0 {
				hdr++
			}
			p, err = DecodeBody(g.b[0], g.b[hdr:], g.v)
			require.NoError(t, err)
			require.Equal(t, g.p, p)
		})
	}
}

// TestGoldenCoverage keeps the golden table complete: every packet type at every version that
// has it, and every property somewhere.
func TestGoldenCoverage(t *testing.T) {
	seen := map[Version]map[Type]bool{V31: {}, V311: {}, V5: {}}
	var props uint64
	for _, g := range goldens {
		seen[g.v][g.p.Type()] = true
		var ps []*Properties
		switch p := g.p.(type) {
		case *Connect:
			ps = append(ps, p.Properties)
			if p.Will != nil {
				ps = append(ps, p.Will.Properties)
			}
		case *Connack:
			ps = append(ps, p.Properties)
		case *Publish:
			ps = append(ps, p.Properties)
		case *Ack:
			ps = append(ps, p.Properties)
		case *Subscribe:
			ps = append(ps, p.Properties)
		case *Suback:
			ps = append(ps, p.Properties)
		case *Unsubscribe:
			ps = append(ps, p.Properties)
		case *Unsuback:
			ps = append(ps, p.Properties)
		case *Disconnect:
			ps = append(ps, p.Properties)
		case *Auth:
			ps = append(ps, p.Properties)
		}
		for _, p := range ps {
			if p != nil {
				props |= p.mask()
			}
		}
	}
	for _, v := range []Version{V31, V311, V5} {
		for typ := CONNECT; typ <= AUTH; typ++ {
			if typ == AUTH && v != V5 {
				continue
			}
			require.True(t, seen[v][typ], "no golden %v at %v", typ, v)
		}
	}
	for id, kind := range propKinds {
		if kind != kindNone {
			require.NotZero(t, props&bitOf(PropID(id)), "no golden carries property %s", propNames[id])
		}
	}
}
