package packet

// Type returns PINGREQ.
func (*Pingreq) Type() Type { return PINGREQ }

// Encode appends the two bytes of a PINGREQ.
func (*Pingreq) Encode(dst []byte, v Version) ([]byte, error) {
	if _, err := encVersion(PINGREQ, v); err != nil {
		return dst, err
	}
	return append(dst, byte(PINGREQ)<<4, 0), nil
}

// String returns "PINGREQ".
func (*Pingreq) String() string { return "PINGREQ" }

// Type returns PINGRESP.
func (*Pingresp) Type() Type { return PINGRESP }

// Encode appends the two bytes of a PINGRESP.
func (*Pingresp) Encode(dst []byte, v Version) ([]byte, error) {
	if _, err := encVersion(PINGRESP, v); err != nil {
		return dst, err
	}
	return append(dst, byte(PINGRESP)<<4, 0), nil
}

// String returns "PINGRESP".
func (*Pingresp) String() string { return "PINGRESP" }
