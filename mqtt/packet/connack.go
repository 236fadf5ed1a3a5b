package packet

// Type returns CONNACK.
func (c *Connack) Type() Type { return CONNACK }

// Encode appends the CONNACK. Before 5.0 ReasonCode must be a 3.x return code (0–5; map a
// reason code with ConnackCode) and Properties are left out.
func (c *Connack) Encode(dst []byte, v Version) ([]byte, error) {
	v, err := encVersion(CONNACK, v)
	if err != nil {
		return dst, err
	}
	if c.SessionPresent && c.ReasonCode != 0 {
		return dst, errEncode(CONNACK, ErrProtocol, "session present with a non-zero reason code [MQTT-3.2.2-4] (5.0: [MQTT-3.2.2-6])")
	}
	rl := 2
	var props encProps
	if v == V5 {
		if !connackCodes.has(c.ReasonCode) {
			return dst, errEncode(CONNACK, ErrProtocol, "not a CONNACK reason code [MQTT-3.2.2-8]")
		}
		if props, err = propsFor(CONNACK, c.Properties, ctxConnack); err != nil {
			return dst, err
		}
		rl += props.len()
	} else if c.ReasonCode > maxConnackCode3 {
		return dst, errEncode(CONNACK, ErrProtocol, "not a 3.1.1 CONNACK return code (map it with ConnackCode)")
	}
	if dst, err = appendHeader(dst, byte(CONNACK)<<4, rl); err != nil {
		return dst, err
	}
	flags := byte(0)
	if c.SessionPresent {
		flags = 1
	}
	dst = append(dst, flags, c.ReasonCode)
	if v == V5 {
		dst = props.appendTo(dst)
	}
	return dst, nil
}

// decodeConnack decodes a CONNACK body.
func decodeConnack(b []byte, v Version) (Packet, error) {
	if v < V5 && len(b) != 2 {
		return nil, errDecode(CONNACK, ErrMalformed, "remaining length must be 2")
	}
	c := cursor{b: b, t: CONNACK}
	flags, err := c.byte1()
	if err != nil {
		return nil, err
	}
	if flags&^1 != 0 {
		return nil, errDecode(CONNACK, ErrMalformed, "reserved acknowledge flags set [MQTT-3.2.2-1]")
	}
	p := &Connack{SessionPresent: flags == 1}
	if p.ReasonCode, err = c.byte1(); err != nil {
		return nil, err
	}
	if p.SessionPresent && p.ReasonCode != 0 {
		return nil, errDecode(CONNACK, ErrProtocol, "session present with a non-zero reason code [MQTT-3.2.2-4] (5.0: [MQTT-3.2.2-6])")
	}
	if v < V5 {
		if p.ReasonCode > maxConnackCode3 {
			return nil, errDecode(CONNACK, ErrProtocol, "reserved CONNACK return code")
		}
		return p, nil
	}
	if !connackCodes.has(p.ReasonCode) {
		return nil, errDecode(CONNACK, ErrProtocol, "not a CONNACK reason code [MQTT-3.2.2-8]")
	}
	if p.Properties, err = decodeProps(&c, ctxConnack); err != nil {
		return nil, err
	}
	if err := c.end(); err != nil {
		return nil, err
	}
	return p, nil
}

// String returns e.g. CONNACK(code=0x00 session).
func (c *Connack) String() string {
	s := "CONNACK(code=" + hexByte(c.ReasonCode)
	if c.SessionPresent {
		s += " session"
	}
	return s + ")"
}
