package gateway

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/lonelyleaf/surgemq/adapters"
	"github.com/lonelyleaf/surgemq/pingmq"
)

// Backoff bounds: a failed adapter is restarted after 1s, 2s, 4s … up to a minute; a run
// that lasted longer than a minute starts the series over.
const (
	backoffMin = time.Second
	backoffMax = time.Minute
)

// errReturned is the failure of an adapter whose Run returned nil before it was stopped.
var errReturned = errors.New("adapter returned while it should run")

// DefaultBackoff is the delay before the attempt-th consecutive restart of a failed adapter:
// 1s doubling up to 1m.
func DefaultBackoff(attempt int) time.Duration {
	d := backoffMin
	for range min(attempt, 16) {
		d *= 2
		if d >= backoffMax {
			return backoffMax
		}
	}
	return d
}

// spec is one configured adapter: its kind, its name in logs and its (resolved) config.
type spec struct {
	kind string
	name string // ping[0], serial[gps]
	cfg  any
}

// specs lists the adapters of a resolved Config, in file order.
func specs(c Config) []spec {
	var out []spec
	for i, p := range c.Ping {
		out = append(out, spec{kind: "ping", name: "ping[" + strconv.Itoa(i) + "]", cfg: p})
	}
	for _, s := range c.Serial {
		out = append(out, spec{kind: "serial", name: "serial[" + s.Name + "]", cfg: s})
	}
	return out
}

// instance is a built adapter and its supervisor.
type instance struct {
	spec
	adapter adapters.Adapter
	log     *slog.Logger

	cancel   context.CancelFunc // stops the supervisor; set by start
	done     chan struct{}      // closed when the supervisor returns
	failures atomic.Int64       // runs that ended in failure
	runs     atomic.Int64       // runs started
	gaveUp   atomic.Bool        // stopped after a permanent failure; Reload restarts it
}

// build makes the adapter of s with the registry.
func (g *Gateway) build(s spec) (*instance, error) {
	l := g.log.With("adapter", s.name)
	a, err := g.registry.New(s.kind, s.cfg, l)
	if err != nil {
		return nil, fmt.Errorf("gateway: %s: %w", s.name, err)
	}
	return &instance{spec: s, adapter: a, log: l}, nil
}

// start runs in's supervisor under g.actx. g.mu is held.
func (g *Gateway) start(in *instance) {
	ctx, cancel := context.WithCancel(g.actx)
	in.cancel = cancel
	in.done = make(chan struct{})
	g.wg.Add(1)
	go func() {
		defer g.wg.Done()
		defer close(in.done)
		g.supervise(ctx, in)
	}()
}

// stop stops in's supervisor and waits for it, at most shutdownTimeout.
func (g *Gateway) stop(in *instance) {
	in.cancel()
	if !waitFor(in.done, shutdownTimeout) {
		in.log.Error("adapter did not stop in time", "timeout", shutdownTimeout)
	}
}

// supervise runs the adapter until ctx ends, restarting it with backoff after each failure:
// an error, a panic, or a return before ctx ended. A permanent failure (no ICMP socket) is
// not retried.
func (g *Gateway) supervise(ctx context.Context, in *instance) {
	attempt := 0
	for {
		start := time.Now()
		in.runs.Add(1)
		err := g.runOnce(ctx, in)
		if ctx.Err() != nil {
			if err != nil && !errors.Is(err, context.Canceled) {
				in.log.Warn("adapter stopped with an error", "error", err)
			}
			return
		}
		in.failures.Add(1)
		if permanent(err) {
			// The adapter has logged why and how to fix it; retrying cannot help until the
			// host is fixed. SIGHUP (Reload) tries again.
			in.gaveUp.Store(true)
			in.log.Debug("adapter failed permanently; not restarting until reload", "error", err)
			return
		}
		if time.Since(start) > backoffMax {
			attempt = 0
		}
		delay := g.backoff(attempt)
		attempt++
		in.log.Error("adapter failed; restarting", "error", err, "restart_in", delay)
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}

// permanent reports whether an adapter failure cannot be cured by retrying.
func permanent(err error) bool {
	return errors.Is(err, pingmq.ErrNoICMP)
}

// runOnce runs the adapter once, turning a panic in Run, in one of its subscription handlers
// or in a goroutine it started through adapters.Guard into an adapters.ErrPanic failure, and
// a nil return before ctx ended into errReturned.
func (g *Gateway) runOnce(ctx context.Context, in *instance) (err error) {
	rctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	adapters.Guard(func(p error) { err = p }, func() {
		err = in.adapter.Run(rctx, guarded{c: g.client, fail: cancel})
	})
	if cause := context.Cause(rctx); ctx.Err() == nil && errors.Is(cause, adapters.ErrPanic) {
		return cause // a handler panicked: that ended the run
	}
	if err == nil && ctx.Err() == nil {
		return errReturned
	}
	return err
}

// guarded is the Client an adapter gets: the broker's in-process client whose subscription
// handlers cannot crash the process. A panicking handler ends the adapter's run (fail)
// and the supervisor restarts it.
type guarded struct {
	c    adapters.Client
	fail context.CancelCauseFunc
}

func (g guarded) Publish(ctx context.Context, topic string, payload []byte, qos byte, retain bool) error {
	return g.c.Publish(ctx, topic, payload, qos, retain)
}

func (g guarded) Subscribe(ctx context.Context, filter string, qos byte, h adapters.Handler) (func(), error) {
	return g.c.Subscribe(ctx, filter, qos, func(m adapters.Message) {
		defer func() {
			if r := recover(); r != nil {
				g.fail(fmt.Errorf("%w: handler for %s: %v\n%s", adapters.ErrPanic, filter, r, debug.Stack()))
			}
		}()
		h(m)
	})
}
