package packet

import "slices"

// encVersion checks the version an Encode was asked for; zero means V311, as for Reader.
func encVersion(t Type, v Version) (Version, error) {
	switch v {
	case 0:
		return V311, nil
	case V31, V311, V5:
		return v, nil
	}
	return v, errEncode(t, ErrUnsupportedVersion, "unknown protocol version")
}

// appendHeader checks the remaining length rl, makes room in dst for the whole packet (one
// allocation at most, none when dst has the capacity) and appends the fixed header.
func appendHeader(dst []byte, first byte, rl int) ([]byte, error) {
	if rl > MaxRemainingLength {
		return dst, errEncode(Type(first>>4), ErrPacketTooLarge, "remaining length exceeds 268435455 [MQTT-1.5.5]")
	}
	dst = slices.Grow(dst, 1+varintLen(rl)+rl)
	return appendVarint(append(dst, first), rl), nil
}
