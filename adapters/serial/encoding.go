package serial

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// TimeFormat is the RFC 3339 layout of the json encoding's ts field (UTC, milliseconds).
const TimeFormat = "2006-01-02T15:04:05.000Z07:00"

// Frame is the json encoding's payload: {"data":"…","ts":"…"} for a frame that is valid UTF-8,
// {"data":"<base64>","base64":true,"ts":"…"} for one that is not. On tx, ts is ignored and
// base64 says whether data is base64.
type Frame struct {
	// Data is the frame as text, or base64 when Base64 is true.
	Data string `json:"data"`
	// Base64 is true when Data is standard base64 of binary data.
	Base64 bool `json:"base64,omitempty"`
	// TS is when the frame was complete (rx only, TimeFormat).
	TS string `json:"ts,omitempty"`
}

// encodeRx turns a frame from the device into an rx payload.
func encodeRx(enc Encoding, frame []byte, now time.Time) []byte {
	switch enc {
	case EncodingHex:
		return []byte(hex.EncodeToString(frame))
	case EncodingBase64:
		return []byte(base64.StdEncoding.EncodeToString(frame))
	case EncodingJSON:
		f := Frame{TS: now.UTC().Format(TimeFormat)}
		if utf8.Valid(frame) {
			f.Data = string(frame)
		} else {
			f.Data, f.Base64 = base64.StdEncoding.EncodeToString(frame), true
		}
		b, err := json.Marshal(f)
		if err != nil { // unreachable: strings and a bool
			return nil
		}
		return b
	default:
		return frame
	}
}

// decodeTx turns a tx payload into the bytes to write, without the terminator.
func decodeTx(enc Encoding, payload []byte) ([]byte, error) {
	switch enc {
	case EncodingHex:
		s := strings.Join(strings.Fields(string(payload)), "")
		b, err := hex.DecodeString(s)
		if err != nil {
			return nil, fmt.Errorf("%w: hex: %v", ErrInvalidPayload, err)
		}
		return b, nil
	case EncodingBase64:
		return decodeBase64(strings.TrimSpace(string(payload)))
	case EncodingJSON:
		var f Frame
		if err := json.Unmarshal(payload, &f); err != nil {
			return nil, fmt.Errorf("%w: json: %v", ErrInvalidPayload, err)
		}
		if f.Base64 {
			return decodeBase64(f.Data)
		}
		return []byte(f.Data), nil
	default:
		return payload, nil
	}
}

func decodeBase64(s string) ([]byte, error) {
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		var err2 error
		if b, err2 = base64.RawStdEncoding.DecodeString(s); err2 != nil {
			return nil, fmt.Errorf("%w: base64: %v", ErrInvalidPayload, err)
		}
	}
	return b, nil
}
