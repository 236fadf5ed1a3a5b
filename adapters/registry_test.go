package adapters_test

import (
	"context"
	"errors"
	"log/slog"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/lonelyleaf/surgemq/adapters"
)

type nopAdapter struct{ cfg any }

func (nopAdapter) Run(ctx context.Context, _ adapters.Client) error { <-ctx.Done(); return nil }

func TestRegistry(t *testing.T) {
	var r adapters.Registry
	require.Empty(t, r.Kinds())
	_, err := r.New("ping", nil, nil)
	require.ErrorIs(t, err, adapters.ErrUnknownKind)
	require.ErrorContains(t, err, `"ping"`)

	bad := errors.New("bad config")
	r.Set("serial", func(cfg any, l *slog.Logger) (adapters.Adapter, error) {
		require.NotNil(t, l)
		if cfg == "bad" {
			return nil, bad
		}
		return nopAdapter{cfg}, nil
	})
	r.Set("ping", func(cfg any, _ *slog.Logger) (adapters.Adapter, error) { return nopAdapter{"first"}, nil })
	r.Set("ping", func(cfg any, _ *slog.Logger) (adapters.Adapter, error) { return nopAdapter{"second"}, nil })
	require.Equal(t, []string{"ping", "serial"}, r.Kinds())

	a, err := r.New("serial", "ok", nil)
	require.NoError(t, err)
	require.Equal(t, nopAdapter{"ok"}, a)
	_, err = r.New("serial", "bad", slog.New(slog.DiscardHandler))
	require.ErrorIs(t, err, bad)
	a, err = r.New("ping", nil, nil)
	require.NoError(t, err)
	require.Equal(t, nopAdapter{"second"}, a, "Set replaces")
}
