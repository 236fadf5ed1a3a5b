package packet

import (
	"bufio"
	"bytes"
	"testing"

	"github.com/stretchr/testify/require"
)

// repeatReader returns its bytes over and over, so a Reader can decode the same packet forever.
type repeatReader struct {
	b   []byte
	off int
}

func (r *repeatReader) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		c := copy(p[n:], r.b[r.off:])
		n += c
		r.off = (r.off + c) % len(r.b)
	}
	return n, nil
}

// looping returns a Reader that decodes p, encoded at v, again and again, and p's size.
func looping(tb testing.TB, p Packet, v Version) (*Reader, int) {
	b, err := p.Encode(nil, v)
	require.NoError(tb, err)
	return NewReader(bufio.NewReaderSize(&repeatReader{b: b}, 4096), v, 0), len(b)
}

var (
	payload64    = bytes.Repeat([]byte("x"), 64)
	benchPublish = &Publish{QoS: QoS1, PacketID: 42, Topic: "sensors/kitchen/temperature", Payload: payload64}
	benchPub5    = &Publish{QoS: QoS1, PacketID: 42, Topic: "sensors/kitchen/temperature", Payload: payload64,
		Properties: &Properties{TopicAlias: new(uint16(3)), User: []UserProperty{{"unit", "C"}}}}
	benchPub0   = &Publish{Topic: "sensors/kitchen/temperature", Payload: payload64}
	benchConn4  = &Connect{CleanStart: true, KeepAlive: 60, ClientID: "sensor-0042", UsernameFlag: true, Username: "sensor", PasswordFlag: true, Password: []byte("secret"), Will: &Will{Topic: "sensors/0042/status", Payload: []byte("offline"), QoS: QoS1, Retain: true}}
	benchConn5  = &Connect{CleanStart: true, KeepAlive: 60, ClientID: "sensor-0042", UsernameFlag: true, Username: "sensor", PasswordFlag: true, Password: []byte("secret"), Properties: &Properties{SessionExpiry: new(uint32(3600)), ReceiveMaximum: new(uint16(32))}}
	benchEncode = []struct {
		name string
		p    Packet
		v    Version
	}{
		{"3.1.1", benchPublish, V311},
		{"5.0", benchPublish, V5},
		{"5.0+props", benchPub5, V5},
	}
)

func BenchmarkEncodePublish(b *testing.B) {
	for _, c := range benchEncode {
		b.Run(c.name, func(b *testing.B) {
			buf := make([]byte, 0, 256)
			b.ReportAllocs()
			for b.Loop() {
				buf, _ = c.p.Encode(buf[:0], c.v)
			}
			b.SetBytes(int64(len(buf)))
		})
	}
}

func BenchmarkEncodeAck(b *testing.B) {
	for _, c := range []struct {
		name string
		a    *Ack
		v    Version
	}{
		{"3.1.1", &Ack{Kind: PUBACK, PacketID: 42}, V311},
		{"5.0", &Ack{Kind: PUBACK, PacketID: 42}, V5},
		{"5.0+reason", &Ack{Kind: PUBREC, PacketID: 42, ReasonCode: 0x10, Properties: &Properties{ReasonString: new("no subscribers")}}, V5},
	} {
		b.Run(c.name, func(b *testing.B) {
			buf := make([]byte, 0, 64)
			b.ReportAllocs()
			for b.Loop() {
				buf, _ = c.a.Encode(buf[:0], c.v)
			}
			b.SetBytes(int64(len(buf)))
		})
	}
}

// BenchmarkDecodePublish reads a QoS 0 PUBLISH with a 64-byte payload through a Reader.
func BenchmarkDecodePublish(b *testing.B) {
	for _, v := range []Version{V311, V5} {
		b.Run(v.String(), func(b *testing.B) {
			r, size := looping(b, benchPub0, v)
			b.SetBytes(int64(size))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := r.Read(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkDecodeConnect(b *testing.B) {
	for _, c := range []struct {
		name string
		p    *Connect
		v    Version
	}{{"3.1.1+will", benchConn4, V311}, {"5.0+props", benchConn5, V5}} {
		b.Run(c.name, func(b *testing.B) {
			r, size := looping(b, c.p, c.v)
			b.SetBytes(int64(size))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := r.Read(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
