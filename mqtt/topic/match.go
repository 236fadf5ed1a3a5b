package topic

// Match reports whether the topic filter matches the topic name, following
// MQTT 3.1.1 and 5.0 section 4.7. It does not allocate.
//
// Both strings are split into levels at '/'. A filter level "+" matches any
// single name level, including an empty one; a last filter level "#" matches
// the parent level and any number of further levels, so "sport/#" matches
// "sport" [MQTT-4.7.1-2]. Any other filter level, including a "#" that is not
// last, must equal the name level byte for byte [MQTT-4.7.3-4]. A filter whose
// first level is a wildcard does not match a name that starts with '$'
// [MQTT-4.7.2-1].
//
// Match treats its arguments as given: a "$share/..." filter is not unwrapped
// (use ParseShared), and invalid input is matched by the rules above, never
// rejected; check input with ValidFilter and ValidName first.
func Match(filter, name string) bool {
	dollar := len(name) > 0 && name[0] == '$'
	for first := true; ; first = false {
		f, frest, fmore := cut(filter)
		if f == "#" && !fmore {
			return !(first && dollar) // [MQTT-4.7.2-1]
		}
		n, nrest, nmore := cut(name)
		if f == "+" {
			if first && dollar {
				return false // [MQTT-4.7.2-1]
			}
		} else if f != n {
			return false
		}
		switch {
		case !fmore:
			return !nmore
		case !nmore:
			// The name ends here; only a trailing "#" matches the parent.
			return frest == "#"
		}
		filter, name = frest, nrest
	}
}

// cut splits s at its first '/' into the first level and the rest; more
// reports whether there was a '/'. A plain loop: topic levels are short, and
// for them it beats strings.Cut, whose vectorised search costs more to set up
// than it saves (see BenchmarkMatch).
func cut(s string) (level, rest string, more bool) {
	for i := 0; i < len(s); i++ {
		if s[i] == '/' {
			return s[:i], s[i+1:], true
		}
	}
	return s, "", false
}
