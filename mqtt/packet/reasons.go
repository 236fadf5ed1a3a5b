package packet

// codeSet is a set of reason-code bytes.
type codeSet [4]uint64

// has reports whether c is in s.
func (s *codeSet) has(c byte) bool { return s[c>>6]&(1<<(c&63)) != 0 }

// codes builds a codeSet.
func codes(cs ...byte) codeSet {
	var s codeSet
	for _, c := range cs {
		s[c>>6] |= 1 << (c & 63)
	}
	return s
}

// The 5.0 reason codes each packet may carry; a sender "MUST use one of" them
// ([MQTT-3.2.2-8], [MQTT-3.4.2-1], [MQTT-3.5.2-1], [MQTT-3.6.2-1], [MQTT-3.7.2-1],
// [MQTT-3.9.3-2], [MQTT-3.11.3-2], [MQTT-3.14.2-1], [MQTT-3.15.2-1]), so any other value is a
// protocol error.
var (
	connackCodes = codes(0x00, 0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8A, 0x8C, 0x90,
		0x95, 0x97, 0x99, 0x9A, 0x9B, 0x9C, 0x9D, 0x9F)
	pubackCodes     = codes(0x00, 0x10, 0x80, 0x83, 0x87, 0x90, 0x91, 0x97, 0x99) // PUBACK and PUBREC
	pubrelCodes     = codes(0x00, 0x92)                                           // PUBREL and PUBCOMP
	subackCodes     = codes(0x00, 0x01, 0x02, 0x80, 0x83, 0x87, 0x8F, 0x91, 0x97, 0x9E, 0xA1, 0xA2)
	subackCodes3    = codes(0x00, 0x01, 0x02, 0x80) // 3.1.1 [MQTT-3.9.3-2]
	unsubackCodes   = codes(0x00, 0x11, 0x80, 0x83, 0x87, 0x8F, 0x91)
	disconnectCodes = codes(0x00, 0x04, 0x80, 0x81, 0x82, 0x83, 0x87, 0x89, 0x8B, 0x8D, 0x8E, 0x8F, 0x90, 0x93,
		0x94, 0x95, 0x96, 0x97, 0x98, 0x99, 0x9A, 0x9B, 0x9C, 0x9D, 0x9E, 0x9F, 0xA0, 0xA1, 0xA2)
	authCodes = codes(0x00, 0x18, 0x19)
)

// maxConnackCode3 is the largest 3.1/3.1.1 CONNACK return code; 6-255 are reserved.
const maxConnackCode3 = ConnRefusedNotAuthorized

// ackCodes returns the 5.0 reason codes of an Ack kind.
func ackCodes(kind Type) *codeSet {
	if kind == PUBACK || kind == PUBREC {
		return &pubackCodes
	}
	return &pubrelCodes
}
