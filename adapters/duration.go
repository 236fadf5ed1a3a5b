package adapters

import (
	"errors"
	"fmt"
	"time"
)

// ErrInvalidDuration is returned (wrapped) by Duration.UnmarshalText for text that is not a
// non-negative Go duration string such as "1.5s", "250ms" or "1h30m".
var ErrInvalidDuration = errors.New("invalid duration")

// Duration is a time.Duration that reads and writes itself as a Go duration string ("30s",
// "1m30s", "250ms"), so adapter configs can write durations the way Telegraf does:
//
//	interval = "60s"
//
// It is a struct (not a named time.Duration) on purpose: go-toml/v2 would silently decode a
// bare TOML integer such as `interval = 60` into a named int64 as 60 nanoseconds; into a struct
// it is a decode error naming the key instead. The zero value is 0s.
type Duration struct {
	time.Duration
}

// D returns a Duration of d, for defaults and tests: adapters.D(30 * time.Second).
func D(d time.Duration) Duration { return Duration{Duration: d} }

// UnmarshalText implements encoding.TextUnmarshaler. It accepts anything time.ParseDuration
// accepts except negative values; "0" is zero.
func (d *Duration) UnmarshalText(text []byte) error {
	v, err := time.ParseDuration(string(text))
	if err != nil {
		return fmt.Errorf("%w %q: use a number with a unit, like \"30s\", \"500ms\" or \"2m\"", ErrInvalidDuration, text)
	}
	if v < 0 {
		return fmt.Errorf("%w %q: must not be negative", ErrInvalidDuration, text)
	}
	d.Duration = v
	return nil
}

// MarshalText implements encoding.TextMarshaler; the text round-trips through UnmarshalText.
func (d Duration) MarshalText() ([]byte, error) {
	return []byte(d.Duration.String()), nil
}
