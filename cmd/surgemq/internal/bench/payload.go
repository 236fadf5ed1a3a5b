package bench

import "encoding/binary"

// headerSize is the part of every payload the generator reads back: publisher index,
// sequence number and send time, each a big-endian 64-bit integer. The rest of the payload
// is filler. It is also the smallest allowed -size.
const headerSize = 24

// stamp is the header of one message.
type stamp struct {
	pub  uint64 // publisher index within the run
	seq  uint64 // 0, 1, 2 … per publisher
	sent int64  // Unix nanoseconds when it was sent (or, at a fixed -rate, due)
}

// putStamp writes s into the first headerSize bytes of b.
func putStamp(b []byte, s stamp) {
	binary.BigEndian.PutUint64(b[0:], s.pub)
	binary.BigEndian.PutUint64(b[8:], s.seq)
	binary.BigEndian.PutUint64(b[16:], uint64(s.sent))
}

// readStamp reads the header of a payload; ok is false when b is too short to carry one.
func readStamp(b []byte) (s stamp, ok bool) {
	if len(b) < headerSize {
		return s, false
	}
	return stamp{
		pub:  binary.BigEndian.Uint64(b[0:]),
		seq:  binary.BigEndian.Uint64(b[8:]),
		sent: int64(binary.BigEndian.Uint64(b[16:])),
	}, true
}

// newPayload returns a payload buffer of size bytes whose filler is readable text.
func newPayload(size int) []byte {
	b := make([]byte, size)
	for i := headerSize; i < size; i++ {
		b[i] = 'a' + byte(i%26)
	}
	return b
}
