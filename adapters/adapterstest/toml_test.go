package adapterstest_test

import (
	"testing"

	toml "github.com/pelletier/go-toml/v2"
	"github.com/stretchr/testify/require"

	"github.com/lonelyleaf/surgemq/adapters/adapterstest"
)

func TestDecodeStrict(t *testing.T) {
	type conf struct {
		Name string `toml:"name"`
	}
	c, err := adapterstest.DecodeStrict[conf](`name = "x"`)
	require.NoError(t, err)
	require.Equal(t, "x", c.Name)
	_, err = adapterstest.DecodeStrict[conf]("name = \"x\"\nnmae = \"y\"")
	var strict *toml.StrictMissingError
	require.ErrorAs(t, err, &strict, "an unknown key is an error")
	require.Contains(t, strict.String(), "nmae")
}
