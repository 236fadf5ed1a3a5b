package adapters_test

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/lonelyleaf/surgemq/adapters"
)

func TestGuard(t *testing.T) {
	var got error
	fail := func(err error) { got = err }

	adapters.Guard(fail, func() {})
	require.NoError(t, got, "no panic, no failure")

	done := make(chan struct{})
	go func() {
		defer close(done)
		adapters.Guard(fail, func() { panic("boom") })
	}()
	<-done
	require.ErrorIs(t, got, adapters.ErrPanic)
	require.Contains(t, got.Error(), "boom")
	require.Contains(t, got.Error(), "guard_test.go", "the stack says where")

	got = nil
	adapters.Guard(fail, func() { panic(errors.New("typed")) })
	require.ErrorContains(t, got, "adapter panicked: typed")
}
