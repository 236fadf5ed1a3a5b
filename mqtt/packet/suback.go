package packet

import (
	"strconv"
	"strings"
)

// Type returns SUBACK.
func (s *Suback) Type() Type { return SUBACK }

// Encode appends the SUBACK. Before 5.0 the return codes are 0, 1, 2 and 0x80 [MQTT-3.9.3-2]:
// any 5.0 failure code (0x80 and above) is written as 0x80 (SubackFailure) and the properties
// are left out.
func (s *Suback) Encode(dst []byte, v Version) ([]byte, error) {
	v, err := encVersion(SUBACK, v)
	if err != nil {
		return dst, err
	}
	if s.PacketID == 0 {
		return dst, errEncode(SUBACK, ErrProtocol, "packet identifier 0 [MQTT-2.3.1-1]")
	}
	if len(s.ReasonCodes) == 0 {
		return dst, errEncode(SUBACK, ErrProtocol, "no reason code (section 3.9.3)")
	}
	for _, code := range s.ReasonCodes {
		if v == V5 && !subackCodes.has(code) || v < V5 && code > CodeGrantedQoS2 && code < SubackFailure {
			return dst, errEncode(SUBACK, ErrProtocol, "not a SUBACK reason code [MQTT-3.9.3-2]")
		}
	}
	rl := 2 + len(s.ReasonCodes)
	var props encProps
	if v == V5 {
		if props, err = propsFor(SUBACK, s.Properties, ctxSuback); err != nil {
			return dst, err
		}
		rl += props.len()
	}
	if dst, err = appendHeader(dst, byte(SUBACK)<<4, rl); err != nil {
		return dst, err
	}
	dst = appendUint16(dst, s.PacketID)
	if v == V5 {
		dst = props.appendTo(dst)
		return append(dst, s.ReasonCodes...), nil
	}
	for _, code := range s.ReasonCodes {
		dst = append(dst, min(code, SubackFailure))
	}
	return dst, nil
}

// decodeSuback decodes a SUBACK body.
func decodeSuback(b []byte, v Version) (Packet, error) {
	c := cursor{b: b, t: SUBACK}
	id, err := c.packetID()
	if err != nil {
		return nil, err
	}
	s := &Suback{PacketID: id}
	set := &subackCodes3
	if v == V5 {
		if s.Properties, err = decodeProps(&c, ctxSuback); err != nil {
			return nil, err
		}
		set = &subackCodes
	}
	if c.left() == 0 {
		return nil, errDecode(SUBACK, ErrProtocol, "no reason code (section 3.9.3)")
	}
	s.ReasonCodes = b[c.off:len(b):len(b)]
	for _, code := range s.ReasonCodes {
		if !set.has(code) {
			return nil, errDecode(SUBACK, ErrProtocol, "not a SUBACK reason code [MQTT-3.9.3-2]")
		}
	}
	return s, nil
}

// String returns e.g. SUBACK(id=1 codes=[0x00 0x80]), listing at most four codes.
func (s *Suback) String() string {
	return "SUBACK(id=" + strconv.Itoa(int(s.PacketID)) + " codes=" + codeList(s.ReasonCodes) + ")"
}

// codeList formats reason codes as [0x00 0x80], at most four of them.
func codeList(codes []byte) string {
	var b strings.Builder
	b.WriteByte('[')
	for i, c := range codes {
		if i > 0 {
			b.WriteByte(' ')
		}
		if i == 4 {
			b.WriteString("+" + strconv.Itoa(len(codes)-i))
			break
		}
		b.WriteString(hexByte(c))
	}
	b.WriteByte(']')
	return b.String()
}
