package adapters

import (
	"errors"
	"fmt"
	"strings"
)

// ValidPrefix checks a topic prefix an adapter puts before its own levels ("surgemq",
// "home/lab"): not empty, no wildcard or NUL, and no empty level, so no leading or trailing
// '/' — portable topics have no leading slash. The error says what is wrong with p; the
// caller names the key.
func ValidPrefix(p string) error {
	switch {
	case p == "":
		return errors.New("empty")
	case strings.ContainsAny(p, "+#\x00"):
		return fmt.Errorf("%q contains a wildcard or NUL", p)
	case strings.HasPrefix(p, "/") || strings.HasSuffix(p, "/") || strings.Contains(p, "//"):
		return fmt.Errorf("%q has an empty topic level", p)
	}
	return nil
}

// ValidLevel checks a single topic level an adapter builds a topic from (a device name): not
// empty, and no '/', wildcard or NUL.
func ValidLevel(s string) error {
	if s == "" {
		return errors.New("empty")
	}
	if strings.ContainsAny(s, "/+#\x00") {
		return fmt.Errorf("%q contains '/', a wildcard or NUL", s)
	}
	return nil
}
