package topic

import (
	"strings"
	"unicode/utf8"
)

// MaxLen is the largest length in bytes of a topic name or filter: it is
// carried as a UTF-8 Encoded String with a two-byte length [MQTT-4.7.3-3].
const MaxLen = 65535

// SharePrefix starts every MQTT 5.0 shared subscription filter (section 4.8.2).
const SharePrefix = "$share/"

// ValidName reports whether name may be used as the topic name of a PUBLISH
// packet. It returns nil or one of ErrEmpty, ErrTooLong, ErrInvalidUTF8 and
// ErrWildcardInName. It does not allocate.
func ValidName(name string) error {
	return checkString(name, true)
}

// ValidFilter reports whether filter may be used as a topic filter in a
// SUBSCRIBE or UNSUBSCRIBE packet. A filter that starts with "$share/" must be
// a well-formed MQTT 5.0 shared subscription $share/{ShareName}/{filter}
// whose inner filter is itself valid. It returns nil or one of ErrEmpty,
// ErrTooLong, ErrInvalidUTF8, ErrBadShare and ErrBadWildcard. It does not
// allocate.
func ValidFilter(filter string) error {
	if err := checkString(filter, false); err != nil {
		return err
	}
	if group, inner, ok := ParseShared(filter); ok {
		// [MQTT-4.8.2-1] a ShareName at least one character long;
		// [MQTT-4.8.2-2] without '/', '+' or '#', followed by '/' and a filter.
		if group == "" || strings.ContainsAny(group, "+#") || inner == "" {
			return ErrBadShare
		}
		filter = inner
	}
	return checkWildcards(filter)
}

// checkString applies the rules shared by names and filters and, for a
// name, rejects wildcards.
func checkString(s string, name bool) error {
	if len(s) == 0 {
		return ErrEmpty // [MQTT-4.7.3-1]
	}
	if len(s) > MaxLen {
		return ErrTooLong // [MQTT-4.7.3-3]
	}
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == 0:
				return ErrInvalidUTF8 // [MQTT-1.5.3-2] [MQTT-4.7.3-2]
			case name && (c == '+' || c == '#'):
				// Wildcards are only for filters [MQTT-3.3.2-2] [MQTT-4.7.1-1].
				return ErrWildcardInName
			}
			i++
			continue
		}
		// DecodeRuneInString rejects overlong forms and surrogates
		// U+D800..U+DFFF as RuneError of width 1 [MQTT-1.5.3-1].
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			return ErrInvalidUTF8
		}
		i += size
	}
	return nil
}

// checkWildcards checks the placement of '+' and '#' in a non-shared filter.
func checkWildcards(filter string) error {
	for i := 0; i < len(filter); i++ {
		switch filter[i] {
		case '#':
			// Alone in its level and the last character [MQTT-4.7.1-2].
			if i != len(filter)-1 || (i > 0 && filter[i-1] != '/') {
				return ErrBadWildcard
			}
		case '+':
			// Alone in its level [MQTT-4.7.1-3].
			if (i > 0 && filter[i-1] != '/') || (i < len(filter)-1 && filter[i+1] != '/') {
				return ErrBadWildcard
			}
		}
	}
	return nil
}

// ParseShared splits a shared subscription filter $share/{group}/{inner}:
// ParseShared("$share/g/a/#") returns ("g", "a/#", true). ok is false, and
// group and inner empty, when filter does not start with "$share/". It does
// not validate: "$share/g" gives ("g", "", true) and "$share//a" gives
// ("", "a", true); use ValidFilter to check a filter.
func ParseShared(filter string) (group, inner string, ok bool) {
	rest, ok := strings.CutPrefix(filter, SharePrefix)
	if !ok {
		return "", "", false
	}
	group, inner, _ = strings.Cut(rest, "/")
	return group, inner, true
}

// IsShared reports whether filter is a shared subscription filter, that is
// whether it starts with "$share/" (MQTT 5.0 section 4.8.2). It does not
// validate the rest of the filter.
func IsShared(filter string) bool {
	return strings.HasPrefix(filter, SharePrefix)
}
