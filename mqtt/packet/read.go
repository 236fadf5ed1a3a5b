package packet

import "io"

// readChunk is the largest body Read allocates up front. A larger declared remaining length is
// trusted only as fast as its bytes arrive: the buffer grows (doubling) while they do, so a peer
// cannot make Read allocate MaxSize by sending a fixed header alone.
const readChunk = 64 << 10

// Read reads and decodes the next packet.
//
// It reads the fixed header, rejects a malformed header before reading further, and checks the
// remaining length against MaxSize (the remaining length, not the whole packet, which is at
// most 5 bytes longer) before reading or allocating the body. The body is read into one freshly
// allocated buffer (bodies above 64 KiB grow into it as they arrive) that the decoded packet
// aliases: a Publish's Topic and Payload, and every other string or byte field, point into it.
//
// Errors: io.EOF when the stream ends cleanly before a packet, io.ErrUnexpectedEOF when it ends
// inside one, other I/O errors as they come, or an error wrapping a Code (see DecodeBody;
// ErrPacketTooLarge for a remaining length above MaxSize). A rejected header or size leaves
// the body unread, so after an error the stream is out of step and the connection must close.
func (r *Reader) Read() (Packet, error) {
	h, err := r.r.ReadByte()
	if err != nil {
		return nil, err
	}
	t := Type(h >> 4)
	v := r.Version
	if t != CONNECT {
		if v, err = decVersion(t, v); err != nil {
			return nil, err
		}
	}
	if err := checkHeader(h, v); err != nil {
		return nil, err
	}
	var d varintDecoder
	for {
		b, err := r.r.ReadByte()
		if err != nil {
			return nil, unexpected(err)
		}
		state := d.add(b)
		if state == varintDone {
			break
		}
		if state != varintMore {
			return nil, varintError(t, state)
		}
	}
	maxSize := r.MaxSize
	if maxSize <= 0 {
		maxSize = DefaultMaxSize
	}
	if d.value > maxSize {
		return nil, errDecode(t, ErrPacketTooLarge, "remaining length exceeds the reader's maximum")
	}
	body, err := r.readBody(d.value)
	if err != nil {
		return nil, err
	}
	return decodeBody(h, body, v)
}

// readBody reads an n-byte body into a new buffer.
func (r *Reader) readBody(n int) ([]byte, error) {
	if n == 0 {
		return nil, nil
	}
	b := make([]byte, min(n, readChunk))
	if _, err := io.ReadFull(r.r, b); err != nil {
		return nil, unexpected(err)
	}
	for len(b) < n {
		nb := make([]byte, min(2*len(b), n))
		copy(nb, b)
		if _, err := io.ReadFull(r.r, nb[len(b):]); err != nil {
			return nil, unexpected(err)
		}
		b = nb
	}
	return b, nil
}

// unexpected turns io.EOF inside a packet into io.ErrUnexpectedEOF.
func unexpected(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// DecodeBody decodes a packet from its fixed header's first byte and its body (the
// remaining-length bytes after the fixed header), as spoken at version v (zero means V311; a
// CONNECT is decoded at the level it declares, whatever v says).
//
// The packet aliases body: its strings and byte slices point into it, so the caller must not
// modify body afterwards. Errors wrap a Code: ErrMalformed for a packet that breaks the wire
// format, ErrProtocol for a well-formed packet that breaks a protocol rule (packet identifier 0,
// duplicate property, empty SUBSCRIBE, …), ErrUnsupportedVersion for a CONNECT of an unsupported
// level, ErrTopicNameInvalid for a wildcard in a topic name, ErrTopicAliasInvalid for topic
// alias 0. When a CONNECT fails after its protocol name and level were read, the returned
// Packet is a *Connect holding just ProtocolName and Version (with the error), so a broker can
// answer with a CONNACK of the right version [MQTT-4.13.1-1]; otherwise it is nil on error.
func DecodeBody(header byte, body []byte, v Version) (Packet, error) {
	t := Type(header >> 4)
	if t != CONNECT {
		var err error
		if v, err = decVersion(t, v); err != nil {
			return nil, err
		}
	}
	if err := checkHeader(header, v); err != nil {
		return nil, err
	}
	return decodeBody(header, body, v)
}

// Decode decodes the first packet in b as spoken at version v (see DecodeBody) and returns it
// with the number of bytes it occupies. It returns io.EOF for an empty b and
// io.ErrUnexpectedEOF when b holds only part of a packet (n is then 0). When the packet is
// complete but does not decode, n is still its length, so a caller could skip it. The packet
// aliases b. Decode applies no size limit beyond len(b).
func Decode(b []byte, v Version) (p Packet, n int, err error) {
	if len(b) == 0 {
		return nil, 0, io.EOF
	}
	// The same order of checks as Read, so that both fail alike on any input.
	t := Type(b[0] >> 4)
	if t != CONNECT {
		if v, err = decVersion(t, v); err != nil {
			return nil, 0, err
		}
	}
	if err := checkHeader(b[0], v); err != nil {
		return nil, 0, err
	}
	var d varintDecoder
	i := 1
	for {
		if i >= len(b) {
			return nil, 0, io.ErrUnexpectedEOF
		}
		state := d.add(b[i])
		i++
		if state == varintDone {
			break
		}
		if state != varintMore {
			return nil, 0, varintError(t, state)
		}
	}
	end := i + d.value
	if end > len(b) {
		return nil, 0, io.ErrUnexpectedEOF
	}
	p, err = decodeBody(b[0], b[i:end:end], v)
	return p, end, err
}

// decVersion checks the version packets other than CONNECT are decoded at; zero means V311.
func decVersion(t Type, v Version) (Version, error) {
	switch v {
	case 0:
		return V311, nil
	case V31, V311, V5:
		return v, nil
	}
	return v, errDecode(t, ErrUnsupportedVersion, "unknown protocol version")
}

// checkHeader checks the packet type and the flag bits of the fixed header's first byte
// [MQTT-2.2.2-1], [MQTT-2.2.2-2].
func checkHeader(h byte, v Version) error {
	t, flags := Type(h>>4), h&0x0f
	switch t {
	case 0:
		return errDecode(t, ErrMalformed, "reserved packet type 0 [MQTT-2.2.1]")
	case PUBLISH:
		qos := flags >> 1 & 3
		if qos == 3 {
			return errDecode(t, ErrMalformed, "qos 3 [MQTT-3.3.1-4]")
		}
		if qos == 0 && flags&0x08 != 0 {
			return errDecode(t, ErrMalformed, "dup flag set on a qos 0 message [MQTT-3.3.1-2]")
		}
		return nil
	case PUBREL, SUBSCRIBE, UNSUBSCRIBE:
		// 3.1 (MQIsdp) clients may set DUP on a retransmission of these.
		if flags != 0x02 && (v != V31 || flags != 0x0a) {
			rule := map[Type]string{PUBREL: "[MQTT-3.6.1-1]", SUBSCRIBE: "[MQTT-3.8.1-1]", UNSUBSCRIBE: "[MQTT-3.10.1-1]"}[t]
			return errDecode(t, ErrMalformed, "fixed header flags must be 0010 "+rule)
		}
		return nil
	case AUTH:
		if v != V5 {
			return errDecode(t, ErrMalformed, "packet type 15 is reserved before 5.0")
		}
	}
	if flags != 0 {
		return errDecode(t, ErrMalformed, "reserved fixed header flags are not 0 [MQTT-2.2.2-2]")
	}
	return nil
}

// decodeBody decodes a body whose header byte checkHeader accepted.
func decodeBody(h byte, b []byte, v Version) (Packet, error) {
	switch t := Type(h >> 4); t {
	case CONNECT:
		return decodeConnect(b)
	case CONNACK:
		return decodeConnack(b, v)
	case PUBLISH:
		return decodePublish(h, b, v)
	case PUBACK, PUBREC, PUBREL, PUBCOMP:
		return decodeAck(t, b, v)
	case SUBSCRIBE:
		return decodeSubscribe(b, v)
	case SUBACK:
		return decodeSuback(b, v)
	case UNSUBSCRIBE:
		return decodeUnsubscribe(b, v)
	case UNSUBACK:
		return decodeUnsuback(b, v)
	case PINGREQ:
		if len(b) != 0 {
			return nil, errDecode(t, ErrMalformed, "remaining length must be 0")
		}
		return &Pingreq{}, nil
	case PINGRESP:
		if len(b) != 0 {
			return nil, errDecode(t, ErrMalformed, "remaining length must be 0")
		}
		return &Pingresp{}, nil
	case DISCONNECT:
		return decodeDisconnect(b, v)
	default: // AUTH; checkHeader rejected everything else.
		return decodeAuth(b)
	}
}
