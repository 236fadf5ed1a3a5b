package bench

import (
	"bufio"
	"io"

	"github.com/lonelyleaf/surgemq/mqtt/packet"
)

// readBufferSize is each generator connection's read buffer: packets that fit are decoded in
// place, without a copy or a buffer of their own.
const readBufferSize = 64 << 10

// frameReader decodes packets straight out of a bufio.Reader's buffer. A packet it returns
// aliases that buffer and is valid only until the next call to next; packets larger than the
// buffer are read into their own allocation.
type frameReader struct {
	br      *bufio.Reader
	version packet.Version
	max     int // largest remaining length accepted
	skip    int // bytes of the previous packet still to discard
}

// next returns the next packet.
func (f *frameReader) next() (packet.Packet, error) {
	if f.skip > 0 {
		f.br.Discard(f.skip) // buffered bytes: cannot fail
		f.skip = 0
	}
	hdr, rl, err := f.header()
	if err != nil {
		return nil, err
	}
	if rl > f.max {
		return nil, packet.ErrPacketTooLarge
	}
	total := hdr + rl
	if total <= f.br.Size() {
		b, err := f.br.Peek(total)
		if err != nil {
			return nil, unexpected(err)
		}
		f.skip = total
		return packet.DecodeBody(b[0], b[hdr:total:total], f.version)
	}
	b := make([]byte, total)
	if _, err := io.ReadFull(f.br, b); err != nil {
		return nil, unexpected(err)
	}
	return packet.DecodeBody(b[0], b[hdr:], f.version)
}

// header peeks at the fixed header and returns its length and the remaining length.
func (f *frameReader) header() (hdr, rl int, err error) {
	for i := 1; i <= 4; i++ {
		b, err := f.br.Peek(i + 1)
		if err != nil {
			if i == 1 && len(b) == 0 {
				return 0, 0, err // clean end between packets
			}
			return 0, 0, unexpected(err)
		}
		c := b[i]
		rl |= int(c&0x7f) << (7 * (i - 1))
		if c&0x80 == 0 {
			return i + 1, rl, nil
		}
	}
	return 0, 0, packet.ErrMalformed
}

// complete reports whether a whole packet is buffered, so decoding it will not block.
func (f *frameReader) complete() bool {
	n := f.br.Buffered() - f.skip
	if n < 2 {
		return false
	}
	b, _ := f.br.Peek(f.skip + min(n, 5))
	b = b[f.skip:]
	rl := 0
	for i := 1; i < len(b) && i <= 4; i++ {
		rl |= int(b[i]&0x7f) << (7 * (i - 1))
		if b[i]&0x80 == 0 {
			return n >= i+1+rl
		}
	}
	return false
}

func unexpected(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}
