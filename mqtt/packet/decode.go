package packet

import "bufio"

// DefaultMaxSize is the remaining-length limit a zero Reader.MaxSize means.
const DefaultMaxSize = MaxRemainingLength

// Reader decodes packets from a buffered stream. It is not safe for concurrent use.
type Reader struct {
	// MaxSize rejects a packet whose remaining length exceeds it with ErrPacketTooLarge before
	// its body is read or allocated. Zero means DefaultMaxSize. It bounds the remaining
	// length, not the whole packet (5.0's Maximum Packet Size), which is 2 to 5 bytes longer.
	MaxSize int
	// Version is the protocol level the peer speaks; it decides how every packet but CONNECT
	// is parsed. A broker sets it from the CONNECT it decoded; zero means V311.
	Version Version

	r *bufio.Reader
}

// NewReader returns a Reader reading from r; a Reader must be made by NewReader.
//
// Read (in read.go) reads and decodes the next packet. Errors: io.EOF (clean end between
// packets), io.ErrUnexpectedEOF, other I/O errors, or a Code (ErrMalformed, ErrProtocol,
// ErrPacketTooLarge, ErrUnsupportedVersion, ErrTopicNameInvalid …) describing why the packet
// is unacceptable. A CONNECT is decoded at whatever version it declares.
func NewReader(r *bufio.Reader, version Version, maxSize int) *Reader {
	return &Reader{r: r, Version: version, MaxSize: maxSize}
}
