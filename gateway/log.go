package gateway

import (
	"fmt"
	"io"
	"log/slog"
	"strings"
)

// parseLevel parses a [log] level: debug, info, warn or error (any case).
func parseLevel(s string) (slog.Level, error) {
	switch strings.ToLower(s) {
	case "debug":
		return slog.LevelDebug, nil
	case "info":
		return slog.LevelInfo, nil
	case "warn", "warning":
		return slog.LevelWarn, nil
	case "error":
		return slog.LevelError, nil
	}
	return 0, fmt.Errorf("%q is not debug, info, warn or error", s)
}

// NewLogger returns the logger a [log] table asks for, writing to w: text (logfmt) or JSON
// lines at the configured level.
func NewLogger(c LogConfig, w io.Writer) (*slog.Logger, error) {
	if errs := c.validate(); len(errs) > 0 {
		return nil, errs[0]
	}
	level, _ := parseLevel(c.Level)
	opts := &slog.HandlerOptions{Level: level}
	if c.Format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return slog.New(slog.NewTextHandler(w, opts)), nil
}
