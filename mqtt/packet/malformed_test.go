package packet

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"runtime"
	"testing"

	"github.com/stretchr/testify/require"
)

// connect5 returns a 5.0 CONNECT with the given connect-property list and will-property list.
func connect5(props, willProps []byte) []byte {
	flags := byte(0x02)
	var will []byte
	if willProps != nil {
		flags |= 0x04
		will = cat(willProps, str("w"), str("x"))
	}
	return pkt(0x10, str("MQTT"), by(5, flags), u16(0), props, str("c"), will)
}

// connect4 returns a 3.1.1 CONNECT with the given flags and payload after the client id.
func connect4(flags byte, rest ...[]byte) []byte {
	return pkt(0x10, cat(str("MQTT"), by(4, flags), u16(0), str("c")), cat(rest...))
}

// publish5 returns a 5.0 QoS 0 PUBLISH to "a" with the given properties.
func publish5(props ...[]byte) []byte { return pkt(0x30, str("a"), pl(props...), raw("p")) }

var malformed = []struct {
	name string
	v    Version
	b    []byte
	want error
}{
	// Fixed header [MQTT-2.2.2-2].
	{"reserved type 0", V311, hx("00 00"), ErrMalformed},
	{"auth before 5.0", V311, hx("f0 00"), ErrMalformed},
	{"connect flags", V311, hx("11 00"), ErrMalformed},
	{"connack flags", V311, hx("22 02 00 00"), ErrMalformed},
	{"puback flags", V311, hx("42 02 00 01"), ErrMalformed},
	{"pubrel flags 0000", V311, hx("60 02 00 01"), ErrMalformed},
	{"pubrel dup 3.1.1", V311, hx("6a 02 00 01"), ErrMalformed},
	{"subscribe flags 0000", V311, pkt(0x80, u16(1), str("a"), by(0)), ErrMalformed},
	{"unsubscribe flags 0011", V311, pkt(0xa3, u16(1), str("a")), ErrMalformed},
	{"pingreq flags", V311, hx("c1 00"), ErrMalformed},
	{"disconnect flags", V5, hx("e8 00"), ErrMalformed},
	{"auth flags", V5, hx("f1 00"), ErrMalformed},
	{"publish qos 3", V311, pkt(0x36, str("a"), u16(1)), ErrMalformed},
	{"publish dup on qos 0", V311, pkt(0x38, str("a")), ErrMalformed},

	// Remaining length [MQTT-1.5.5].
	{"remaining length of 5 bytes", V311, hx("30 ff ff ff ff 01"), ErrMalformed},
	{"remaining length not minimal", V311, hx("c0 80 00"), ErrMalformed},
	{"remaining length cut short", V311, hx("30 80"), io.ErrUnexpectedEOF},
	{"header alone", V311, hx("c0"), io.ErrUnexpectedEOF},
	{"body cut short", V311, hx("30 05 00 01 61"), io.ErrUnexpectedEOF},

	// PUBLISH.
	{"topic with +", V311, pkt(0x30, str("a/+/b")), ErrTopicNameInvalid},
	{"topic with #", V5, pkt(0x30, str("#"), by(0)), ErrTopicNameInvalid},
	{"topic with U+0000", V311, pkt(0x30, str("a\x00b")), ErrMalformed},
	{"topic not utf-8", V311, pkt(0x30, str("a\xffb")), ErrMalformed},
	{"topic utf-8 surrogate", V311, pkt(0x30, str("\xed\xa0\x80")), ErrMalformed},
	{"topic overlong utf-8", V311, pkt(0x30, str("\xc0\xaf")), ErrMalformed},
	{"topic empty 3.1.1", V311, pkt(0x30, str(""), raw("p")), ErrProtocol},
	{"topic empty 5.0 without alias", V5, pkt(0x30, str(""), by(0)), ErrProtocol},
	{"topic longer than body", V311, pkt(0x30, u16(10), raw("ab")), ErrMalformed},
	{"packet id missing", V311, pkt(0x32, str("a")), ErrMalformed},
	{"packet id 0", V311, pkt(0x32, str("a"), u16(0)), ErrProtocol},
	{"properties missing", V5, pkt(0x30, str("a")), ErrMalformed},
	{"property length past end", V5, pkt(0x30, str("a"), by(5, 0x01)), ErrMalformed},
	{"property value past its list", V5, pkt(0x30, str("a"), by(2, 0x02, 0x00), u32(0)), ErrMalformed},
	{"property length 5 bytes", V5, pkt(0x30, str("a"), by(0x80, 0x80, 0x80, 0x80, 0x01)), ErrMalformed},
	{"topic alias 0", V5, publish5(cat(by(0x23), u16(0))), ErrTopicAliasInvalid},
	{"duplicate topic alias", V5, publish5(cat(by(0x23), u16(1)), cat(by(0x23), u16(2))), ErrProtocol},
	{"duplicate payload format", V5, publish5(by(0x01, 0), by(0x01, 0)), ErrProtocol},
	{"duplicate content type", V5, publish5(cat(by(0x03), str("a")), cat(by(0x03), str("b"))), ErrProtocol},
	{"property not allowed in publish", V5, publish5(cat(by(0x11), u32(1))), ErrMalformed},
	{"unknown property", V5, publish5(by(0x04, 0)), ErrMalformed},
	{"two byte property identifier", V5, publish5(by(0x81, 0x01)), ErrMalformed},
	{"subscription identifier 0", V5, publish5(by(0x0b, 0)), ErrProtocol},
	{"subscription identifier 5 bytes", V5, publish5(by(0x0b, 0xff, 0xff, 0xff, 0xff, 0x01)), ErrMalformed},
	{"subscription identifier not minimal", V5, publish5(by(0x0b, 0x81, 0x00)), ErrMalformed},
	{"payload format 2", V5, publish5(by(0x01, 2)), ErrProtocol},
	{"response topic wildcard", V5, publish5(cat(by(0x08), str("r/#"))), ErrTopicNameInvalid},
	{"content type not utf-8", V5, publish5(cat(by(0x03), str("\xff"))), ErrMalformed},
	{"user property value with U+0000", V5, publish5(cat(by(0x26), str("k"), str("\x00"))), ErrMalformed},
	{"user property value missing", V5, publish5(cat(by(0x26), str("k"))), ErrMalformed},

	// CONNECT.
	{"protocol name unknown", V311, pkt(0x10, str("MQTX"), by(4, 2), u16(0), str("c")), ErrProtocol},
	{"protocol name not utf-8", V311, pkt(0x10, str("MQ\xff"), by(4, 2), u16(0), str("c")), ErrMalformed},
	{"MQTT level 3", V311, pkt(0x10, str("MQTT"), by(3, 2), u16(0), str("c")), ErrUnsupportedVersion},
	{"MQTT level 6", V311, pkt(0x10, str("MQTT"), by(6, 2), u16(0), str("c")), ErrUnsupportedVersion},
	{"MQIsdp level 4", V311, pkt(0x10, str("MQIsdp"), by(4, 2), u16(0), str("c")), ErrUnsupportedVersion},
	{"MQTT bridge level 0x84", V311, pkt(0x10, str("MQTT"), by(0x84, 2), u16(0), str("c")), ErrUnsupportedVersion},
	{"reserved connect flag", V311, connect4(0x03), ErrMalformed},
	{"will qos without will flag", V311, connect4(0x08), ErrMalformed},
	{"will retain without will flag", V311, connect4(0x20), ErrMalformed},
	{"will qos 3", V311, connect4(0x1c, str("w"), str("x")), ErrMalformed},
	{"password without user name 3.1.1", V311, connect4(0x40, str("pw")), ErrMalformed},
	{"password without user name 3.1", V31, pkt(0x10, str("MQIsdp"), by(3, 0x40), u16(0), str("c"), str("pw")), ErrMalformed},
	{"connect trailing byte", V311, connect4(0x02, by(0)), ErrMalformed},
	{"connect keep alive missing", V311, pkt(0x10, str("MQTT"), by(4, 2)), ErrMalformed},
	{"client id not utf-8", V311, pkt(0x10, str("MQTT"), by(4, 2), u16(0), str("\xfe")), ErrMalformed},
	{"will topic wildcard", V311, connect4(0x04, str("w/+"), str("x")), ErrTopicNameInvalid},
	{"will topic empty", V311, connect4(0x04, str(""), str("x")), ErrProtocol},
	{"will payload missing", V311, connect4(0x04, str("w")), ErrMalformed},
	{"user name missing", V311, connect4(0x80), ErrMalformed},
	{"receive maximum 0", V5, connect5(pl(cat(by(0x21), u16(0))), nil), ErrProtocol},
	{"maximum packet size 0", V5, connect5(pl(cat(by(0x27), u32(0))), nil), ErrProtocol},
	{"request problem information 2", V5, connect5(pl(by(0x17, 2)), nil), ErrProtocol},
	{"authentication data without method", V5, connect5(pl(cat(by(0x16), str("d"))), nil), ErrProtocol},
	{"will delay in connect properties", V5, connect5(pl(cat(by(0x18), u32(1))), nil), ErrMalformed},
	{"session expiry in will properties", V5, connect5(pl(), pl(cat(by(0x11), u32(1)))), ErrMalformed},
	{"duplicate session expiry", V5, connect5(pl(cat(by(0x11), u32(1)), cat(by(0x11), u32(2))), nil), ErrProtocol},

	// CONNACK.
	{"connack 3.1.1 length 3", V311, pkt(0x20, by(0, 0, 0)), ErrMalformed},
	{"connack reserved flags", V311, pkt(0x20, by(2, 0)), ErrMalformed},
	{"connack return code 6", V311, pkt(0x20, by(0, 6)), ErrProtocol},
	{"connack session present on refusal", V311, pkt(0x20, by(1, 5)), ErrProtocol},
	{"connack 5.0 code 0x01", V5, pkt(0x20, by(0, 1), by(0)), ErrProtocol},
	{"connack 5.0 properties missing", V5, pkt(0x20, by(0, 0)), ErrMalformed},
	{"connack 5.0 trailing byte", V5, pkt(0x20, by(0, 0), by(0), by(0)), ErrMalformed},
	{"connack 5.0 maximum qos 2", V5, pkt(0x20, by(0, 0), pl(by(0x24, 2))), ErrProtocol},
	{"connack 5.0 topic alias", V5, pkt(0x20, by(0, 0), pl(cat(by(0x23), u16(1)))), ErrMalformed},

	// PUBACK, PUBREC, PUBREL, PUBCOMP.
	{"puback 3.1.1 length 3", V311, pkt(0x40, u16(1), by(0)), ErrMalformed},
	{"puback length 1", V5, pkt(0x40, by(1)), ErrMalformed},
	{"puback packet id 0", V311, pkt(0x40, u16(0)), ErrProtocol},
	{"pubcomp packet id 0 5.0", V5, pkt(0x70, u16(0)), ErrProtocol},
	{"puback 5.0 code 0x92", V5, pkt(0x40, u16(1), by(0x92)), ErrProtocol},
	{"pubrel 5.0 code 0x10", V5, pkt(0x62, u16(1), by(0x10)), ErrProtocol},
	{"pubrec 5.0 trailing byte", V5, pkt(0x50, u16(1), by(0), by(0), by(0)), ErrMalformed},
	{"pubrec 5.0 user property cut", V5, pkt(0x50, u16(1), by(0), by(5), user("a", "b")), ErrMalformed},
	{"puback 5.0 topic alias", V5, pkt(0x40, u16(1), by(0), pl(cat(by(0x23), u16(1)))), ErrMalformed},

	// SUBSCRIBE.
	{"subscribe no filter", V311, pkt(0x82, u16(1)), ErrProtocol},
	{"subscribe 5.0 no filter", V5, pkt(0x82, u16(1), by(0)), ErrProtocol},
	{"subscribe packet id 0", V311, pkt(0x82, u16(0), str("a"), by(0)), ErrProtocol},
	{"subscribe empty filter", V311, pkt(0x82, u16(1), str(""), by(0)), ErrProtocol},
	{"subscribe filter not utf-8", V311, pkt(0x82, u16(1), str("\xff"), by(0)), ErrMalformed},
	{"subscribe options missing", V311, pkt(0x82, u16(1), str("a")), ErrMalformed},
	{"subscribe 3.1.1 reserved bits", V311, pkt(0x82, u16(1), str("a"), by(0x04)), ErrMalformed},
	{"subscribe 3.1.1 qos 3", V311, pkt(0x82, u16(1), str("a"), by(0x03)), ErrMalformed},
	{"subscribe 5.0 reserved bits", V5, pkt(0x82, u16(1), by(0), str("a"), by(0x40)), ErrMalformed},
	{"subscribe 5.0 qos 3", V5, pkt(0x82, u16(1), by(0), str("a"), by(0x03)), ErrProtocol},
	{"subscribe 5.0 retain handling 3", V5, pkt(0x82, u16(1), by(0), str("a"), by(0x30)), ErrProtocol},
	{"subscribe 5.0 two subscription identifiers", V5, pkt(0x82, u16(1), pl(by(0x0b, 1), by(0x0b, 2)), str("a"), by(0)), ErrProtocol},
	{"subscribe 5.0 subscription identifier 0", V5, pkt(0x82, u16(1), pl(by(0x0b, 0)), str("a"), by(0)), ErrProtocol},
	{"subscribe 5.0 reason string", V5, pkt(0x82, u16(1), pl(cat(by(0x1f), str("r"))), str("a"), by(0)), ErrMalformed},

	// SUBACK.
	{"suback 3.1.1 code 3", V311, pkt(0x90, u16(1), by(3)), ErrProtocol},
	{"suback 3.1.1 code 0x87", V311, pkt(0x90, u16(1), by(0x87)), ErrProtocol},
	{"suback 5.0 code 0x92", V5, pkt(0x90, u16(1), by(0), by(0x92)), ErrProtocol},
	{"suback no codes", V311, pkt(0x90, u16(1)), ErrProtocol},
	{"suback packet id 0", V5, pkt(0x90, u16(0), by(0), by(0)), ErrProtocol},

	// UNSUBSCRIBE, UNSUBACK.
	{"unsubscribe no filter", V311, pkt(0xa2, u16(1)), ErrProtocol},
	{"unsubscribe empty filter", V5, pkt(0xa2, u16(1), by(0), str("")), ErrProtocol},
	{"unsubscribe filter cut", V311, pkt(0xa2, u16(1), u16(3), raw("a")), ErrMalformed},
	{"unsuback 3.1.1 length 3", V311, pkt(0xb0, u16(1), by(0)), ErrMalformed},
	{"unsuback 5.0 no codes", V5, pkt(0xb0, u16(1), by(0)), ErrProtocol},
	{"unsuback 5.0 code 0x01", V5, pkt(0xb0, u16(1), by(0), by(1)), ErrProtocol},

	// PINGREQ, PINGRESP, DISCONNECT, AUTH.
	{"pingreq with body", V311, hx("c0 01 00"), ErrMalformed},
	{"pingresp with body", V5, hx("d0 01 00"), ErrMalformed},
	{"disconnect 3.1.1 with body", V311, hx("e0 01 00"), ErrMalformed},
	{"disconnect 5.0 code 0x05", V5, hx("e0 01 05"), ErrProtocol},
	{"disconnect 5.0 trailing byte", V5, hx("e0 03 00 00 00"), ErrMalformed},
	{"disconnect 5.0 topic alias", V5, pkt(0xe0, by(0), pl(cat(by(0x23), u16(1)))), ErrMalformed},
	{"auth 5.0 reason code alone", V5, hx("f0 01 18"), ErrMalformed},
	{"auth 5.0 code 0x01", V5, hx("f0 02 01 00"), ErrProtocol},
	{"auth 5.0 session expiry", V5, pkt(0xf0, by(0x18), pl(cat(by(0x11), u32(1)))), ErrMalformed},
}

func TestMalformed(t *testing.T) {
	for _, m := range malformed {
		t.Run(m.name, func(t *testing.T) {
			p, err := NewReader(bufio.NewReader(bytes.NewReader(m.b)), m.v, 0).Read()
			require.ErrorIs(t, err, m.want)
			if _, isConnect := p.(*Connect); !isConnect {
				require.Nil(t, p)
			}

			_, _, err = Decode(m.b, m.v)
			require.ErrorIs(t, err, m.want, "Decode agrees with Read")

			var code Code
			if errors.As(err, &code) {
				require.Equal(t, m.want, code, "errors.As recovers the reason code")
				require.Contains(t, err.Error(), code.Reason)
			}
		})
	}
}

// TestConnectErrorKeepsVersion checks that a CONNECT rejected after its level was read comes
// back with its protocol name and level, so a broker can answer in the client's version.
func TestConnectErrorKeepsVersion(t *testing.T) {
	p, err := NewReader(bufio.NewReader(bytes.NewReader(connect5(pl(cat(by(0x21), u16(0))), nil))), 0, 0).Read()
	require.ErrorIs(t, err, ErrProtocol)
	require.Equal(t, &Connect{ProtocolName: "MQTT", Version: V5}, p)

	p, _, err = Decode(pkt(0x10, str("MQTT"), by(3, 2), u16(0), str("c")), 0)
	require.ErrorIs(t, err, ErrUnsupportedVersion)
	require.Nil(t, p, "no supported level was read")
}

// failAfter yields its bytes, then fails any further read: a body read would show up as
// errBodyRead instead of the expected error.
type failAfter struct{ b []byte }

var errBodyRead = errors.New("body was read")

func (f *failAfter) Read(p []byte) (int, error) {
	if len(f.b) == 0 {
		return 0, errBodyRead
	}
	n := copy(p, f.b)
	f.b = f.b[n:]
	return n, nil
}

// allocated returns the bytes allocated while running fn.
func allocated(fn func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	fn()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

func TestReadRejectsOversizeBeforeBody(t *testing.T) {
	header := cat(by(0x30), vbi(200<<20)) // declares a 200 MiB PUBLISH
	var err error
	n := allocated(func() {
		_, err = NewReader(bufio.NewReader(&failAfter{b: header}), V311, 1<<10).Read()
	})
	require.ErrorIs(t, err, ErrPacketTooLarge)
	require.Less(t, n, uint64(64<<10), "nothing near the declared size was allocated")

	// MaxSize is a limit on the remaining length: equal passes, one more fails.
	ok := pkt(0x30, str("a"), raw("12345678")) // remaining length 11
	_, err = NewReader(bufio.NewReader(bytes.NewReader(ok)), V311, 11).Read()
	require.NoError(t, err)
	_, err = NewReader(bufio.NewReader(bytes.NewReader(ok)), V311, 10).Read()
	require.ErrorIs(t, err, ErrPacketTooLarge)
}

// TestReadLargeBodyGrowsWithData checks that a large declared length costs memory only as its
// bytes arrive, and that large packets still decode.
func TestReadLargeBodyGrowsWithData(t *testing.T) {
	lie := cat(by(0x30), vbi(200<<20), str("a"), raw("only a few bytes"))
	var err error
	n := allocated(func() {
		_, err = NewReader(bufio.NewReader(bytes.NewReader(lie)), V311, 0).Read()
	})
	require.ErrorIs(t, err, io.ErrUnexpectedEOF)
	require.Less(t, n, uint64(1<<20))

	big := &Publish{Topic: "big", Payload: bytes.Repeat([]byte("0123456789"), 50_000)} // 500 kB
	b, err := big.Encode(nil, V5)
	require.NoError(t, err)
	p, err := NewReader(bufio.NewReader(bytes.NewReader(b)), V5, 0).Read()
	require.NoError(t, err)
	require.Equal(t, big, p)
}

func TestReadEOF(t *testing.T) {
	_, err := NewReader(bufio.NewReader(bytes.NewReader(nil)), V311, 0).Read()
	require.Equal(t, io.EOF, err, "clean end before a packet is io.EOF itself")

	_, _, err = Decode(nil, V311)
	require.Equal(t, io.EOF, err)

	b, err := (&Publish{Topic: "a/b", Payload: []byte("payload")}).Encode(nil, V311)
	require.NoError(t, err)
	for cut := 1; cut < len(b); cut++ {
		_, err := NewReader(bufio.NewReader(bytes.NewReader(b[:cut])), V311, 0).Read()
		require.Equal(t, io.ErrUnexpectedEOF, err, "cut at %d", cut)
		_, n, err := Decode(b[:cut], V311)
		require.Equal(t, io.ErrUnexpectedEOF, err, "cut at %d", cut)
		require.Zero(t, n)
	}
}

func TestReadPassesIOErrors(t *testing.T) {
	boom := errors.New("boom")
	_, err := NewReader(bufio.NewReader(io.MultiReader(bytes.NewReader(hx("30 05 00")), &errReader{boom})), V311, 0).Read()
	require.ErrorIs(t, err, boom)
}

type errReader struct{ err error }

func (e *errReader) Read([]byte) (int, error) { return 0, e.err }

func TestUnknownVersion(t *testing.T) {
	_, err := NewReader(bufio.NewReader(bytes.NewReader(hx("c0 00"))), 9, 0).Read()
	require.ErrorIs(t, err, ErrUnsupportedVersion)
	_, err = DecodeBody(0xc0, nil, 2)
	require.ErrorIs(t, err, ErrUnsupportedVersion)
	_, err = (&Pingreq{}).Encode(nil, 6)
	require.ErrorIs(t, err, ErrUnsupportedVersion)
}
