package packet

import "strings"

// The sentinel errors of this package are the reason-code values declared in code.go
// (ErrMalformed, ErrProtocol, ErrPacketTooLarge, …). Every error that Encode, DecodeBody, Decode
// or Reader.Read returns is either an I/O error (io.EOF, io.ErrUnexpectedEOF, …) or wraps exactly
// one Code, so callers test it with errors.Is(err, ErrMalformed) or recover the value to send
// back with errors.As(err, &code).

// codecError is the error returned for a packet that cannot be decoded or encoded. It carries
// a static detail (usually citing the spec rule) and unwraps to the reason code.
type codecError struct {
	op     string // "decode" or "encode"
	typ    Type
	detail string
	code   Code
}

// Error returns e.g. "decode publish: topic contains a wildcard [MQTT-3.3.2-2]: topic name invalid".
func (e *codecError) Error() string {
	return e.op + " " + strings.ToLower(e.typ.String()) + ": " + e.detail + ": " + e.code.Reason
}

// Unwrap returns the reason code, so errors.Is and errors.As see it.
func (e *codecError) Unwrap() error { return e.code }

// errDecode returns the error for a packet of type t that fails to decode.
func errDecode(t Type, c Code, detail string) error {
	return &codecError{op: "decode", typ: t, detail: detail, code: c}
}

// errEncode returns the error for a packet of type t that cannot be encoded.
func errEncode(t Type, c Code, detail string) error {
	return &codecError{op: "encode", typ: t, detail: detail, code: c}
}
