package adapters_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/lonelyleaf/surgemq/adapters"
)

func TestValidPrefix(t *testing.T) {
	for _, ok := range []string{"surgemq", "home/lab", "$SYS-like", "a b/ü"} {
		require.NoError(t, adapters.ValidPrefix(ok), ok)
	}
	for p, want := range map[string]string{
		"":         "empty",
		"a/+":      `"a/+" contains a wildcard or NUL`,
		"a/#":      `"a/#" contains a wildcard or NUL`,
		"a\x00":    `"a\x00" contains a wildcard or NUL`,
		"/surgemq": `"/surgemq" has an empty topic level`,
		"surgemq/": `"surgemq/" has an empty topic level`,
		"a//b":     `"a//b" has an empty topic level`,
	} {
		require.EqualError(t, adapters.ValidPrefix(p), want, "%q", p)
	}
}

func TestValidLevel(t *testing.T) {
	require.NoError(t, adapters.ValidLevel("arduino-1"))
	for l, want := range map[string]string{
		"":    "empty",
		"a/b": `"a/b" contains '/', a wildcard or NUL`,
		"+":   `"+" contains '/', a wildcard or NUL`,
		"#":   `"#" contains '/', a wildcard or NUL`,
	} {
		require.EqualError(t, adapters.ValidLevel(l), want, "%q", l)
	}
}
