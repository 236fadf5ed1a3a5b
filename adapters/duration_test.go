package adapters_test

import (
	"testing"
	"time"

	toml "github.com/pelletier/go-toml/v2"
	"github.com/stretchr/testify/require"

	"github.com/lonelyleaf/surgemq/adapters"
	"github.com/lonelyleaf/surgemq/adapters/adapterstest"
)

type durConfig struct {
	Interval adapters.Duration `toml:"interval"`
}

func decodeDur(doc string) (durConfig, error) { return adapterstest.DecodeStrict[durConfig](doc) }

func TestDurationTOML(t *testing.T) {
	for _, tc := range []struct {
		doc  string
		want time.Duration
	}{
		{`interval = "30s"`, 30 * time.Second},
		{`interval = "1m30s"`, 90 * time.Second},
		{`interval = "250ms"`, 250 * time.Millisecond},
		{`interval = "0"`, 0},
		{``, 0},
	} {
		c, err := decodeDur(tc.doc)
		require.NoError(t, err, tc.doc)
		require.Equal(t, tc.want, c.Interval.Duration, tc.doc)
	}
}

func TestDurationTOMLErrors(t *testing.T) {
	for _, doc := range []string{
		`interval = "30"`,   // no unit
		`interval = "soon"`, // not a duration
		`interval = "-5s"`,  // negative
		`interval = 60`,     // bare integer: would be 60ns if accepted
		`interval = 1.5`,
	} {
		_, err := decodeDur(doc)
		require.Error(t, err, doc)
	}
	var d adapters.Duration
	err := d.UnmarshalText([]byte("-1s"))
	require.ErrorIs(t, err, adapters.ErrInvalidDuration)
	err = d.UnmarshalText([]byte("x"))
	require.ErrorIs(t, err, adapters.ErrInvalidDuration)
	require.Contains(t, err.Error(), `"x"`)
}

func TestDurationRoundTrip(t *testing.T) {
	in := durConfig{Interval: adapters.D(90 * time.Second)}
	b, err := toml.Marshal(in)
	require.NoError(t, err)
	require.Equal(t, "interval = '1m30s'\n", string(b))
	out, err := decodeDur(string(b))
	require.NoError(t, err)
	require.Equal(t, in, out)
}
