package packet

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// TestEncodeAllocatesNothing encodes every golden packet, and the benchmark packets, into a
// buffer with room: no allocation at all.
func TestEncodeAllocatesNothing(t *testing.T) {
	buf := make([]byte, 0, 4096)
	check := func(name string, p Packet, v Version) {
		allocs := testing.AllocsPerRun(50, func() {
			var err error
			if buf, err = p.Encode(buf[:0], v); err != nil {
				panic(err)
			}
		})
		require.Zero(t, allocs, name)
	}
	for _, g := range goldens {
		if !g.decodeOnly {
			check(g.name, g.p, g.v)
		}
	}
	for _, c := range benchEncode {
		check("bench "+c.name, c.p, c.v)
	}
	check("ack", &Ack{Kind: PUBACK, PacketID: 1}, V5)
}

// TestDecodeAllocations bounds the allocations of reading a packet: the body buffer and the
// packet struct, plus one for a non-empty property list.
func TestDecodeAllocations(t *testing.T) {
	for _, c := range []struct {
		name string
		p    Packet
		v    Version
		max  float64
	}{
		{"publish 3.1.1", benchPub0, V311, 2},
		{"publish 5.0", benchPub0, V5, 2},
		{"publish 5.0 topic alias", &Publish{Topic: "t", Properties: &Properties{TopicAlias: new(uint16(1))}}, V5, 3},
		{"puback 3.1.1", &Ack{Kind: PUBACK, PacketID: 1}, V311, 2},
		{"pingreq", &Pingreq{}, V311, 0},
	} {
		r, _ := looping(t, c.p, c.v)
		allocs := testing.AllocsPerRun(100, func() {
			if _, err := r.Read(); err != nil {
				panic(err)
			}
		})
		require.LessOrEqual(t, allocs, c.max, c.name)
	}
}
