package packet

import (
	"bytes"
	"encoding/hex"
	"strings"
)

// The helpers below build golden packets from parts. They are written independently of the
// codec (their own variable byte integer), so a golden vector does not merely repeat the code
// under test.

// cat concatenates byte slices.
func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

// by returns its arguments as a byte slice.
func by(b ...byte) []byte { return b }

// raw returns the bytes of s.
func raw(s string) []byte { return []byte(s) }

// hx decodes hex, ignoring spaces.
func hx(s string) []byte {
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		panic(err)
	}
	return b
}

// str returns a two-byte-length-prefixed string.
func str(s string) []byte { return cat(u16(uint16(len(s))), []byte(s)) }

// u16 returns v big-endian.
func u16(v uint16) []byte { return []byte{byte(v >> 8), byte(v)} }

// u32 returns v big-endian.
func u32(v uint32) []byte { return []byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)} }

// vbi encodes a variable byte integer (test copy, deliberately not the codec's).
func vbi(n int) []byte {
	var out []byte
	for {
		d := byte(n % 128)
		n /= 128
		if n > 0 {
			d |= 128
		}
		out = append(out, d)
		if n == 0 {
			return out
		}
	}
}

// pl returns a property list: its length as a variable byte integer, then the properties.
func pl(props ...[]byte) []byte {
	body := cat(props...)
	return cat(vbi(len(body)), body)
}

// pkt returns a packet: the first header byte, the remaining length, then the body parts.
func pkt(first byte, body ...[]byte) []byte {
	b := cat(body...)
	return cat([]byte{first}, vbi(len(b)), b)
}
