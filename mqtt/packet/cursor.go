package packet

// cursor reads the fields of one packet body held in memory. Every read past the end of the body
// is a malformed packet: the remaining length was too short for the fields it announced.
type cursor struct {
	b   []byte
	off int
	t   Type // the packet being decoded, for error messages
}

// left returns the number of unread bytes.
func (c *cursor) left() int { return len(c.b) - c.off }

// short returns the error for a field that runs past the end of the body.
func (c *cursor) short() error {
	return errDecode(c.t, ErrMalformed, "remaining length too short for the packet's fields")
}

// byte1 reads one byte.
func (c *cursor) byte1() (byte, error) {
	if c.off >= len(c.b) {
		return 0, c.short()
	}
	v := c.b[c.off]
	c.off++
	return v, nil
}

// uint16 reads a two byte integer.
func (c *cursor) uint16() (uint16, error) {
	if len(c.b)-c.off < 2 {
		return 0, c.short()
	}
	v := uint16(c.b[c.off])<<8 | uint16(c.b[c.off+1])
	c.off += 2
	return v, nil
}

// uint32 reads a four byte integer.
func (c *cursor) uint32() (uint32, error) {
	if len(c.b)-c.off < 4 {
		return 0, c.short()
	}
	b := c.b[c.off : c.off+4]
	c.off += 4
	return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3]), nil
}

// varint reads a variable byte integer.
func (c *cursor) varint() (int, error) {
	var d varintDecoder
	for {
		if c.off >= len(c.b) {
			return 0, c.short()
		}
		state := d.add(c.b[c.off])
		c.off++
		switch state {
		case varintDone:
			return d.value, nil
		case varintMore:
		default:
			return 0, varintError(c.t, state)
		}
	}
}

// binary reads a binary data field (two byte length, then bytes). The result aliases the body
// and its capacity is clipped, so appending to it never overwrites the following fields. An
// empty field is a non-nil empty slice.
func (c *cursor) binary() ([]byte, error) {
	if len(c.b)-c.off < 2 {
		return nil, c.short()
	}
	n := int(c.b[c.off])<<8 | int(c.b[c.off+1])
	start := c.off + 2
	end := start + n
	if end > len(c.b) {
		return nil, c.short()
	}
	c.off = end
	return c.b[start:end:end], nil
}

// str reads a UTF-8 string field and checks it [MQTT-1.5.3-1], [MQTT-1.5.3-2].
func (c *cursor) str() (string, error) {
	b, err := c.binary()
	if err != nil {
		return "", err
	}
	if !validString(b) {
		return "", errDecode(c.t, ErrMalformed, "string is not valid UTF-8 or contains U+0000 [MQTT-1.5.3-1] [MQTT-1.5.3-2]")
	}
	return bytesString(b), nil
}

// packetID reads a packet identifier, which must not be 0 [MQTT-2.3.1-1] (5.0: [MQTT-2.2.1-3]).
// A zero identifier is well formed but breaks a protocol rule, hence ErrProtocol.
func (c *cursor) packetID() (uint16, error) {
	id, err := c.uint16()
	if err == nil && id == 0 {
		err = errDecode(c.t, ErrProtocol, "packet identifier 0 [MQTT-2.3.1-1]")
	}
	return id, err
}

// end fails unless the whole body was consumed.
func (c *cursor) end() error {
	if c.off != len(c.b) {
		return errDecode(c.t, ErrMalformed, "unexpected bytes after the packet's fields")
	}
	return nil
}

// nilIfEmpty returns nil for an empty slice, so that absent and empty payloads decode alike.
func nilIfEmpty(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return b
}
