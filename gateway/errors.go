package gateway

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Errors returned by the gateway.
var (
	// ErrInvalidConfig is matched (errors.Is) by every *ConfigError: an unknown key, a value
	// of the wrong type or a value out of range.
	ErrInvalidConfig = errors.New("invalid config")
	// ErrRunning is returned by Run when the Gateway is already running or has run.
	ErrRunning = errors.New("gateway: already run")
	// ErrNotRunning is returned by Reload before Run has started the gateway or after it
	// returned.
	ErrNotRunning = errors.New("gateway: not running")
)

// ConfigError is one problem in a configuration: the key it concerns and, for a
// configuration read from a file, the file and line. Load and Validate return one or more of
// them (joined with errors.Join, one per line).
type ConfigError struct {
	// File is the configuration file's name; empty for a Config built in code.
	File string
	// Line is the 1-based line of the key (or of its table when the key is not in the file);
	// zero when unknown.
	Line int
	// Key is the key in TOML terms with array indices, e.g. "broker.max_inflight" or
	// "ping[1].targets"; empty for a problem with the file as a whole (a syntax error).
	Key string
	// Err is the problem.
	Err error

	path []string // Key as path segments, indices as numbers: ping, 1, targets
}

// Error returns "FILE:LINE: KEY: problem", leaving out what is unknown.
func (e *ConfigError) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File)
		if e.Line > 0 {
			b.WriteString(":" + strconv.Itoa(e.Line))
		}
		b.WriteString(": ")
	}
	if e.Key != "" {
		b.WriteString(e.Key + ": ")
	}
	if e.Err != nil {
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Unwrap returns the underlying problem.
func (e *ConfigError) Unwrap() error { return e.Err }

// Is reports whether target is ErrInvalidConfig.
func (e *ConfigError) Is(target error) bool { return target == ErrInvalidConfig }

// invalidf returns a ConfigError for the key at path.
func invalidf(path []string, format string, args ...any) *ConfigError {
	return &ConfigError{Key: displayKey(path), Err: fmt.Errorf(format, args...), path: path}
}

// displayKey writes a path as a TOML key with array indices: ping.1.targets → ping[1].targets.
func displayKey(path []string) string {
	var b strings.Builder
	for i, p := range path {
		if isIndex(p) {
			b.WriteString("[" + p + "]")
			continue
		}
		if i > 0 {
			b.WriteByte('.')
		}
		b.WriteString(p)
	}
	return b.String()
}

func isIndex(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}
