package packet

// Type returns AUTH.
func (a *Auth) Type() Type { return AUTH }

// Encode appends the AUTH, which exists only in 5.0. A success without properties is sent
// with remaining length 0 (5.0 section 3.15.2.1); otherwise reason code and property length are
// both written.
func (a *Auth) Encode(dst []byte, v Version) ([]byte, error) {
	v, err := encVersion(AUTH, v)
	if err != nil {
		return dst, err
	}
	if v != V5 {
		return dst, errEncode(AUTH, ErrProtocol, "AUTH requires MQTT 5.0")
	}
	if !authCodes.has(a.ReasonCode) {
		return dst, errEncode(AUTH, ErrProtocol, "not an AUTH reason code [MQTT-3.15.2-1]")
	}
	props, err := propsFor(AUTH, a.Properties, ctxAuth)
	if err != nil {
		return dst, err
	}
	rl := 0
	if props.size > 0 || a.ReasonCode != CodeSuccess {
		rl = 1 + props.len()
	}
	if dst, err = appendHeader(dst, byte(AUTH)<<4, rl); err != nil {
		return dst, err
	}
	if rl > 0 {
		dst = props.appendTo(append(dst, a.ReasonCode))
	}
	return dst, nil
}

// decodeAuth decodes an AUTH body (5.0 only; checkHeader rejects AUTH before 5.0).
func decodeAuth(b []byte) (Packet, error) {
	a := &Auth{}
	if len(b) == 0 {
		return a, nil
	}
	if len(b) == 1 { // Only the all-success form may omit the property length.
		return nil, errDecode(AUTH, ErrMalformed, "reason code without property length")
	}
	a.ReasonCode = b[0]
	if !authCodes.has(a.ReasonCode) {
		return nil, errDecode(AUTH, ErrProtocol, "not an AUTH reason code [MQTT-3.15.2-1]")
	}
	c := cursor{b: b, off: 1, t: AUTH}
	var err error
	if a.Properties, err = decodeProps(&c, ctxAuth); err != nil {
		return nil, err
	}
	if err := c.end(); err != nil {
		return nil, err
	}
	return a, nil
}

// String returns e.g. AUTH(code=0x18).
func (a *Auth) String() string { return "AUTH(code=" + hexByte(a.ReasonCode) + ")" }
