package packet

import "strconv"

// Type returns a.Kind: PUBACK, PUBREC, PUBREL or PUBCOMP.
func (a *Ack) Type() Type { return a.Kind }

// Encode appends the acknowledgement. Before 5.0 only the packet id is written. In 5.0 the
// short forms are used: no reason code and properties when the reason is success and there
// are no properties (remaining length 2), no property length when there are no properties
// (remaining length 3).
func (a *Ack) Encode(dst []byte, v Version) ([]byte, error) {
	if a.Kind < PUBACK || a.Kind > PUBCOMP {
		return dst, errEncode(a.Kind, ErrMalformed, "Ack.Kind is not PUBACK, PUBREC, PUBREL or PUBCOMP")
	}
	v, err := encVersion(a.Kind, v)
	if err != nil {
		return dst, err
	}
	if a.PacketID == 0 {
		return dst, errEncode(a.Kind, ErrProtocol, "packet identifier 0 [MQTT-2.3.1-1]")
	}
	first := byte(a.Kind) << 4
	if a.Kind == PUBREL {
		first |= 0x02 // [MQTT-3.6.1-1]
	}
	rl := 2
	var props encProps
	if v == V5 {
		if !ackCodes(a.Kind).has(a.ReasonCode) {
			return dst, errEncode(a.Kind, ErrProtocol, "not a reason code of this packet [MQTT-3.4.2-1]")
		}
		if props, err = propsFor(a.Kind, a.Properties, ctxAck); err != nil {
			return dst, err
		}
		if props.size > 0 {
			rl = 3 + props.len()
		} else if a.ReasonCode != CodeSuccess {
			rl = 3
		}
	}
	if dst, err = appendHeader(dst, first, rl); err != nil {
		return dst, err
	}
	dst = appendUint16(dst, a.PacketID)
	if rl > 2 {
		dst = append(dst, a.ReasonCode)
	}
	if rl > 3 {
		dst = props.appendTo(dst)
	}
	return dst, nil
}

// decodeAck decodes a PUBACK, PUBREC, PUBREL or PUBCOMP body.
func decodeAck(t Type, b []byte, v Version) (Packet, error) {
	if v < V5 && len(b) != 2 {
		return nil, errDecode(t, ErrMalformed, "remaining length must be 2")
	}
	c := cursor{b: b, t: t}
	id, err := c.packetID()
	if err != nil {
		return nil, err
	}
	a := &Ack{Kind: t, PacketID: id}
	if c.left() == 0 { // 5.0: reason code and properties omitted
		return a, nil
	}
	a.ReasonCode = b[2]
	c.off++
	if !ackCodes(t).has(a.ReasonCode) {
		return nil, errDecode(t, ErrProtocol, "not a reason code of this packet [MQTT-3.4.2-1]")
	}
	if c.left() == 0 { // 5.0: "If the Remaining Length is less than 4 there is no Property Length"
		return a, nil
	}
	if a.Properties, err = decodeProps(&c, ctxAck); err != nil {
		return nil, err
	}
	if err := c.end(); err != nil {
		return nil, err
	}
	return a, nil
}

// String returns e.g. PUBACK(id=3) or PUBREC(id=3 code=0x10).
func (a *Ack) String() string {
	s := a.Kind.String() + "(id=" + strconv.Itoa(int(a.PacketID))
	if a.ReasonCode != CodeSuccess {
		s += " code=" + hexByte(a.ReasonCode)
	}
	return s + ")"
}
