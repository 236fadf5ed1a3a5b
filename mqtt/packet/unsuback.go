package packet

import "strconv"

// Type returns UNSUBACK.
func (u *Unsuback) Type() Type { return UNSUBACK }

// Encode appends the UNSUBACK. Before 5.0 it carries only the packet id: ReasonCodes and
// Properties are left out. In 5.0 there must be one reason code per filter, so at least one.
func (u *Unsuback) Encode(dst []byte, v Version) ([]byte, error) {
	v, err := encVersion(UNSUBACK, v)
	if err != nil {
		return dst, err
	}
	if u.PacketID == 0 {
		return dst, errEncode(UNSUBACK, ErrProtocol, "packet identifier 0 [MQTT-2.3.1-1]")
	}
	rl := 2
	var props encProps
	if v == V5 {
		if len(u.ReasonCodes) == 0 {
			return dst, errEncode(UNSUBACK, ErrProtocol, "no reason code (5.0 section 3.11.3)")
		}
		for _, code := range u.ReasonCodes {
			if !unsubackCodes.has(code) {
				return dst, errEncode(UNSUBACK, ErrProtocol, "not an UNSUBACK reason code [MQTT-3.11.3-2]")
			}
		}
		if props, err = propsFor(UNSUBACK, u.Properties, ctxUnsuback); err != nil {
			return dst, err
		}
		rl += props.len() + len(u.ReasonCodes)
	}
	if dst, err = appendHeader(dst, byte(UNSUBACK)<<4, rl); err != nil {
		return dst, err
	}
	dst = appendUint16(dst, u.PacketID)
	if v == V5 {
		dst = props.appendTo(dst)
		dst = append(dst, u.ReasonCodes...)
	}
	return dst, nil
}

// decodeUnsuback decodes an UNSUBACK body.
func decodeUnsuback(b []byte, v Version) (Packet, error) {
	if v < V5 && len(b) != 2 {
		return nil, errDecode(UNSUBACK, ErrMalformed, "remaining length must be 2")
	}
	c := cursor{b: b, t: UNSUBACK}
	id, err := c.packetID()
	if err != nil {
		return nil, err
	}
	u := &Unsuback{PacketID: id}
	if v < V5 {
		return u, nil
	}
	if u.Properties, err = decodeProps(&c, ctxUnsuback); err != nil {
		return nil, err
	}
	if c.left() == 0 {
		return nil, errDecode(UNSUBACK, ErrProtocol, "no reason code (5.0 section 3.11.3)")
	}
	u.ReasonCodes = b[c.off:len(b):len(b)]
	for _, code := range u.ReasonCodes {
		if !unsubackCodes.has(code) {
			return nil, errDecode(UNSUBACK, ErrProtocol, "not an UNSUBACK reason code [MQTT-3.11.3-2]")
		}
	}
	return u, nil
}

// String returns e.g. UNSUBACK(id=2) or, in 5.0, UNSUBACK(id=2 codes=[0x00 0x11]).
func (u *Unsuback) String() string {
	s := "UNSUBACK(id=" + strconv.Itoa(int(u.PacketID))
	if len(u.ReasonCodes) > 0 {
		s += " codes=" + codeList(u.ReasonCodes)
	}
	return s + ")"
}
