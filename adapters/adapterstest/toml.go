package adapterstest

import (
	"strings"

	toml "github.com/pelletier/go-toml/v2"
)

// DecodeStrict decodes a TOML document into a T the way the gateway reads its configuration
// file: unknown keys are errors. Adapter tests use it on their sample configs and bad ones.
func DecodeStrict[T any](doc string) (T, error) {
	var v T
	dec := toml.NewDecoder(strings.NewReader(doc))
	dec.DisallowUnknownFields()
	err := dec.Decode(&v)
	return v, err
}
