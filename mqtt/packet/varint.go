package packet

// The variable byte integer of section 1.5.5 (3.1.1: 2.2.3): 7 bits per byte, least significant
// group first, high bit set on every byte but the last, at most 4 bytes.

// varintLen returns the number of bytes the variable byte integer n occupies (n must be in
// 0..MaxRemainingLength).
func varintLen(n int) int {
	switch {
	case n < 1<<7:
		return 1
	case n < 1<<14:
		return 2
	case n < 1<<21:
		return 3
	default:
		return 4
	}
}

// appendVarint appends n (0..MaxRemainingLength) as a variable byte integer.
func appendVarint(dst []byte, n int) []byte {
	for {
		b := byte(n & 0x7f)
		n >>= 7
		if n == 0 {
			return append(dst, b)
		}
		dst = append(dst, b|0x80)
	}
}

// varintDecoder accumulates a variable byte integer one byte at a time; both the stream reader
// (remaining length) and the in-memory cursor (property lengths, subscription identifiers) use
// it so the two apply the same rules.
type varintDecoder struct {
	value int
	n     int // bytes consumed so far
}

// varint decoding outcomes.
const (
	varintMore       = iota // needs another byte
	varintDone              // value complete
	varintTooLong           // a fifth byte would be needed [MQTT-1.5.5]
	varintNotMinimal        // encoded in more bytes than needed [MQTT-1.5.5-1]
)

// add feeds the next byte and reports the state.
func (d *varintDecoder) add(b byte) int {
	d.value |= int(b&0x7f) << (7 * d.n)
	d.n++
	if b&0x80 == 0 {
		if b == 0 && d.n > 1 {
			return varintNotMinimal
		}
		return varintDone
	}
	if d.n == 4 {
		return varintTooLong
	}
	return varintMore
}

// varintError turns a failed varintDecoder state into a malformed-packet error.
func varintError(t Type, state int) error {
	if state == varintTooLong {
		return errDecode(t, ErrMalformed, "variable byte integer longer than 4 bytes [MQTT-1.5.5]")
	}
	return errDecode(t, ErrMalformed, "variable byte integer not minimally encoded [MQTT-1.5.5-1]")
}
