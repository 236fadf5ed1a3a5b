package packet

// Type returns DISCONNECT.
func (d *Disconnect) Type() Type { return DISCONNECT }

// Encode appends the DISCONNECT. Before 5.0 it has no body. In 5.0 the short forms are used:
// remaining length 0 for a normal disconnection without properties, 1 for a reason code
// without properties.
func (d *Disconnect) Encode(dst []byte, v Version) ([]byte, error) {
	v, err := encVersion(DISCONNECT, v)
	if err != nil {
		return dst, err
	}
	rl := 0
	var props encProps
	if v == V5 {
		if !disconnectCodes.has(d.ReasonCode) {
			return dst, errEncode(DISCONNECT, ErrProtocol, "not a DISCONNECT reason code [MQTT-3.14.2-1]")
		}
		if props, err = propsFor(DISCONNECT, d.Properties, ctxDisconnect); err != nil {
			return dst, err
		}
		if props.size > 0 {
			rl = 1 + props.len()
		} else if d.ReasonCode != CodeSuccess {
			rl = 1
		}
	}
	if dst, err = appendHeader(dst, byte(DISCONNECT)<<4, rl); err != nil {
		return dst, err
	}
	if rl > 0 {
		dst = append(dst, d.ReasonCode)
	}
	if rl > 1 {
		dst = props.appendTo(dst)
	}
	return dst, nil
}

// decodeDisconnect decodes a DISCONNECT body.
func decodeDisconnect(b []byte, v Version) (Packet, error) {
	d := &Disconnect{}
	if len(b) == 0 {
		return d, nil
	}
	if v < V5 {
		return nil, errDecode(DISCONNECT, ErrMalformed, "remaining length must be 0")
	}
	d.ReasonCode = b[0]
	if !disconnectCodes.has(d.ReasonCode) {
		return nil, errDecode(DISCONNECT, ErrProtocol, "not a DISCONNECT reason code [MQTT-3.14.2-1]")
	}
	if len(b) == 1 { // "If the Remaining Length is less than 2, a value of 0 is used" (3.14.2.2.1)
		return d, nil
	}
	c := cursor{b: b, off: 1, t: DISCONNECT}
	var err error
	if d.Properties, err = decodeProps(&c, ctxDisconnect); err != nil {
		return nil, err
	}
	if err := c.end(); err != nil {
		return nil, err
	}
	return d, nil
}

// String returns e.g. DISCONNECT(code=0x00).
func (d *Disconnect) String() string { return "DISCONNECT(code=" + hexByte(d.ReasonCode) + ")" }
