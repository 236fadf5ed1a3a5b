package adapters

import (
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
)

// ErrUnknownKind is returned (wrapped, naming the kind) by Registry.New for a kind that was
// never registered.
var ErrUnknownKind = errors.New("unknown adapter kind")

// Factory builds an adapter from its configuration value, such as a pingmq.Config for the
// "ping" kind. It validates cfg and returns an error naming the offending key. logger is the
// adapter's logger (never nil).
type Factory func(cfg any, logger *slog.Logger) (Adapter, error)

// Registry maps adapter kinds (the TOML table names: "ping", "serial") to their factories.
// It is a value built by its owner, usually the gateway, not package state: a test can build
// a registry whose "ping" factory injects a fake pinger. The zero value is an empty registry
// ready to use. A Registry is not safe for concurrent modification; fill it, then share it.
type Registry struct {
	kinds map[string]Factory
}

// Set registers f for kind, replacing any earlier factory of that kind.
func (r *Registry) Set(kind string, f Factory) {
	if r.kinds == nil {
		r.kinds = make(map[string]Factory)
	}
	r.kinds[kind] = f
}

// Kinds returns the registered kinds, sorted.
func (r *Registry) Kinds() []string {
	return slices.Sorted(maps.Keys(r.kinds))
}

// New builds an adapter of kind from cfg with the registered factory.
func (r *Registry) New(kind string, cfg any, logger *slog.Logger) (Adapter, error) {
	f, ok := r.kinds[kind]
	if !ok {
		return nil, fmt.Errorf("%w %q", ErrUnknownKind, kind)
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return f(cfg, logger)
}
