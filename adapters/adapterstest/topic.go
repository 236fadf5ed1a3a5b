package adapterstest

import (
	"strings"
	"unicode/utf8"
)

// ValidTopic reports whether name may be published to: non-empty, valid UTF-8, no NUL and
// no wildcard characters [MQTT-4.7.3-1] [MQTT-4.7.3-2] [MQTT-4.7.1-1].
func ValidTopic(name string) bool {
	return name != "" && utf8.ValidString(name) && !strings.ContainsAny(name, "+#\x00")
}

// ValidFilter reports whether filter is a well-formed subscription filter: '#' only as the
// whole last level, '+' only as a whole level [MQTT-4.7.1-2] [MQTT-4.7.1-3].
func ValidFilter(filter string) bool {
	if filter == "" || !utf8.ValidString(filter) || strings.ContainsRune(filter, 0) {
		return false
	}
	levels := strings.Split(filter, "/")
	for i, l := range levels {
		if strings.Contains(l, "#") && (l != "#" || i != len(levels)-1) {
			return false
		}
		if strings.Contains(l, "+") && l != "+" {
			return false
		}
	}
	return true
}

// Match reports whether topic name matches filter. Wildcards at the first level do not match
// topics beginning with '$' [MQTT-4.7.2-1]; "a/#" also matches "a" [MQTT-4.7.1-2].
func Match(filter, name string) bool {
	if strings.HasPrefix(name, "$") && (strings.HasPrefix(filter, "+") || strings.HasPrefix(filter, "#")) {
		return false
	}
	f := strings.Split(filter, "/")
	n := strings.Split(name, "/")
	for i, fl := range f {
		if fl == "#" {
			return true
		}
		if i >= len(n) {
			return false
		}
		if fl != "+" && fl != n[i] {
			return false
		}
	}
	return len(f) == len(n)
}
