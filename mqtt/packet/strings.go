package packet

import (
	"bytes"
	"strconv"
	"unicode/utf8"
	"unsafe"
)

// maxStringLen is the longest UTF-8 string or binary data field: its length is a two byte
// integer [MQTT-1.5.4] (3.1.1: 1.5.3).
const maxStringLen = 65535

// validString reports whether b is well-formed UTF-8 [MQTT-1.5.3-1] (5.0: [MQTT-1.5.4-1]) without
// the null character U+0000 [MQTT-1.5.3-2] (5.0: [MQTT-1.5.4-2]). utf8.Valid already rejects the
// surrogates U+D800..U+DFFF. The other discouraged code points (controls, non-characters) are
// accepted, as the spec allows.
func validString(b []byte) bool {
	for i, c := range b {
		if c == 0 {
			return false
		}
		if c >= utf8.RuneSelf {
			return utf8.Valid(b[i:]) && bytes.IndexByte(b[i:], 0) < 0
		}
	}
	return true
}

// checkTopicName checks the bytes of a PUBLISH or will topic name: ErrMalformed when they are not
// a valid UTF-8 string, ErrTopicNameInvalid when they contain a wildcard [MQTT-3.3.2-2]. The
// empty name is checked by the caller, since a 5.0 topic alias makes it legal.
func checkTopicName(t Type, b []byte) error {
	ascii, wild := true, false
	for _, c := range b {
		switch {
		case c == 0:
			return errDecode(t, ErrMalformed, "topic name contains U+0000 [MQTT-1.5.3-2]")
		case c == '+' || c == '#':
			wild = true
		case c >= utf8.RuneSelf:
			ascii = false
		}
	}
	if !ascii && !utf8.Valid(b) {
		return errDecode(t, ErrMalformed, "topic name is not valid UTF-8 [MQTT-1.5.3-1]")
	}
	if wild {
		return errDecode(t, ErrTopicNameInvalid, "topic name contains a wildcard [MQTT-3.3.2-2]")
	}
	return nil
}

// bytesString returns the bytes of b as a string without copying. Decoded packets alias the body
// buffer they were decoded from; the buffer is never written to afterwards (Reader allocates a
// fresh one per packet, DecodeBody documents that its caller must not modify it), so the string
// stays immutable as Go requires.
func bytesString(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

// appendString appends s as a UTF-8 string (or binary data) field: two byte length, then bytes.
// The caller has checked len(s) <= maxStringLen.
func appendString(dst []byte, s string) []byte {
	dst = append(dst, byte(len(s)>>8), byte(len(s)))
	return append(dst, s...)
}

// appendBinary appends b as a binary data field. The caller has checked len(b) <= maxStringLen.
func appendBinary(dst []byte, b []byte) []byte {
	dst = append(dst, byte(len(b)>>8), byte(len(b)))
	return append(dst, b...)
}

// appendUint16 appends v big-endian.
func appendUint16(dst []byte, v uint16) []byte { return append(dst, byte(v>>8), byte(v)) }

// appendUint32 appends v big-endian.
func appendUint32(dst []byte, v uint32) []byte {
	return append(dst, byte(v>>24), byte(v>>16), byte(v>>8), byte(v))
}

// hexByte formats b as 0x followed by two hex digits.
func hexByte(b byte) string {
	const digits = "0123456789abcdef"
	return string([]byte{'0', 'x', digits[b>>4], digits[b&0xf]})
}

// quote quotes s for String methods.
func quote(s string) string { return strconv.Quote(s) }
