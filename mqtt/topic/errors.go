package topic

import "errors"

// Sentinel errors returned by ValidName and ValidFilter. They are returned
// unwrapped, so both == and errors.Is work; callers that add context should
// wrap them with %w.
var (
	// ErrEmpty reports a topic name or filter of zero length [MQTT-4.7.3-1].
	ErrEmpty = errors.New("topic: empty")

	// ErrTooLong reports a topic name or filter longer than 65535 bytes
	// [MQTT-4.7.3-3].
	ErrTooLong = errors.New("topic: longer than 65535 bytes")

	// ErrWildcardInName reports a '+' or '#' in a topic name [MQTT-3.3.2-2]
	// [MQTT-4.7.1-1].
	ErrWildcardInName = errors.New("topic: wildcard in topic name")

	// ErrBadWildcard reports a misplaced wildcard in a topic filter: a '#' that
	// is not the last character or not alone in its level [MQTT-4.7.1-2], or a
	// '+' that is not alone in its level [MQTT-4.7.1-3].
	ErrBadWildcard = errors.New("topic: misplaced wildcard in topic filter")

	// ErrInvalidUTF8 reports ill-formed UTF-8 or the null character U+0000 in
	// a topic name or filter [MQTT-1.5.3-1] [MQTT-1.5.3-2] [MQTT-4.7.3-2].
	ErrInvalidUTF8 = errors.New("topic: ill-formed utf-8 or null character")

	// ErrBadShare reports a malformed shared subscription filter
	// $share/{ShareName}/{filter}: an empty ShareName, a ShareName containing
	// '+', '#' or '/', or a missing filter [MQTT-4.8.2-1] [MQTT-4.8.2-2].
	ErrBadShare = errors.New("topic: malformed shared subscription filter")
)
