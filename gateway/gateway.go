package gateway

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lonelyleaf/surgemq/adapters"
	"github.com/lonelyleaf/surgemq/adapters/inproc"
	"github.com/lonelyleaf/surgemq/adapters/serial"
	"github.com/lonelyleaf/surgemq/broker"
	"github.com/lonelyleaf/surgemq/pingmq"
)

// shutdownTimeout bounds each step of a clean shutdown: stopping the adapters, then the
// broker.
const shutdownTimeout = 10 * time.Second

// The payloads of the retained <prefix>/status topic.
const (
	StatusOnline  = "online"
	StatusOffline = "offline"
)

// Gateway is the MQTT broker plus the adapters of one Config, supervised. Create it with
// New, run it with Run, change its adapters with Reload.
type Gateway struct {
	log      *slog.Logger
	registry *adapters.Registry
	backoff  func(attempt int) time.Duration
	version  string
	getenv   func(string) string

	srv    *broker.Server
	client adapters.Client
	notify *notifier
	ready  chan struct{}
	ran    atomic.Bool

	mu        sync.Mutex
	cfg       Config // resolved
	running   bool   // between Ready and the start of shutdown: Reload is allowed
	actx      context.Context
	instances []*instance
	listeners []net.Listener
	wg        sync.WaitGroup // adapter supervisors
}

// Option configures a Gateway beyond its Config.
type Option func(*Gateway)

// WithRegistry makes the gateway build its adapters with r instead of Registry(): r must
// know "ping" and "serial". Tests use it to inject a fake pinger or a failing adapter.
func WithRegistry(r *adapters.Registry) Option { return func(g *Gateway) { g.registry = r } }

// WithBackoff replaces DefaultBackoff: f returns the delay before restarting a failed
// adapter for the attempt-th time in a row (0 for the first restart).
func WithBackoff(f func(attempt int) time.Duration) Option {
	return func(g *Gateway) { g.backoff = f }
}

// WithVersion sets the version the broker reports on $SYS/broker/version.
func WithVersion(v string) Option { return func(g *Gateway) { g.version = v } }

// WithGetenv replaces os.Getenv for reading systemd's NOTIFY_SOCKET, WATCHDOG_USEC and
// WATCHDOG_PID.
func WithGetenv(getenv func(string) string) Option { return func(g *Gateway) { g.getenv = getenv } }

// Registry returns a registry of the adapter kinds a Config configures: "ping" (a
// pingmq.Config) and "serial" (a serial.Config).
func Registry() *adapters.Registry {
	r := &adapters.Registry{}
	r.Set("ping", func(cfg any, l *slog.Logger) (adapters.Adapter, error) {
		c, ok := cfg.(pingmq.Config)
		if !ok {
			return nil, fmt.Errorf("ping: config is a %T, not a pingmq.Config", cfg)
		}
		return pingmq.New(c, l)
	})
	r.Set("serial", func(cfg any, l *slog.Logger) (adapters.Adapter, error) {
		c, ok := cfg.(serial.Config)
		if !ok {
			return nil, fmt.Errorf("serial: config is a %T, not a serial.Config", cfg)
		}
		return serial.New(c, l)
	})
	return r
}

// New validates cfg and builds the broker and every adapter; nothing listens or runs until
// Run. logger (nil: discard) receives the gateway's, the broker's and the adapters' logs.
func New(cfg Config, logger *slog.Logger, opts ...Option) (*Gateway, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	g := &Gateway{
		log:      logger,
		registry: Registry(),
		backoff:  DefaultBackoff,
		version:  "surgemq",
		getenv:   os.Getenv,
		ready:    make(chan struct{}),
	}
	for _, o := range opts {
		o(g)
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	g.cfg = cfg.resolved()
	n, err := notifierFromEnv(g.getenv)
	if err != nil {
		return nil, fmt.Errorf("gateway: %w", err)
	}
	g.notify = n
	for _, s := range specs(g.cfg) {
		in, err := g.build(s)
		if err != nil {
			return nil, err
		}
		g.instances = append(g.instances, in)
	}
	bo := g.cfg.Broker.brokerOptions()
	bo.Persistence = g.cfg.Persistence.storeOptions(g.getenv)
	bo.Logger, bo.Version = logger, g.version
	g.srv, err = broker.New(bo)
	if err != nil {
		return nil, fmt.Errorf("gateway: %w", err)
	}
	g.client = inproc.New(g.srv)
	return g, nil
}

// Ready returns a channel closed once Run listens on every listener and has started the
// adapters. It stays open when Run fails before that.
func (g *Gateway) Ready() <-chan struct{} { return g.ready }

// Addrs returns the addresses the broker listens on, in the order of the listeners, such as
// the port picked for "127.0.0.1:0". It is empty before Ready.
func (g *Gateway) Addrs() []net.Addr {
	g.mu.Lock()
	defer g.mu.Unlock()
	out := make([]net.Addr, len(g.listeners))
	for i, l := range g.listeners {
		out[i] = l.Addr()
	}
	return out
}

// Server returns the gateway's broker, for Go code that publishes or subscribes in process.
func (g *Gateway) Server() *broker.Server { return g.srv }

// statusTopic is <prefix>/status.
func (c Config) statusTopic() string { return c.Prefix + "/status" }

// Run listens on every listener, publishes the retained "online" status, starts the
// adapters, tells systemd READY=1, and serves until ctx ends. It then shuts down in order:
// STOPPING=1, the adapters, the "offline" status, the broker. It returns nil after a clean
// shutdown, or the error that stopped the gateway (a listener that failed). Run may be
// called once.
func (g *Gateway) Run(ctx context.Context) error {
	if !g.ran.CompareAndSwap(false, true) {
		return ErrRunning
	}
	g.mu.Lock()
	cfg := g.cfg
	g.mu.Unlock()
	ls, err := listen(cfg.Broker.Listeners)
	if err != nil {
		_ = g.srv.Shutdown(context.Background())
		return err
	}
	errc := make(chan error, len(ls))
	for _, l := range ls {
		g.log.Info("listening", "addr", l.Addr().String(), "version", g.version)
		go func() { errc <- g.srv.Serve(l) }()
	}
	g.publishStatus(cfg, StatusOnline)

	actx, cancelAdapters := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelAdapters()
	g.mu.Lock()
	g.listeners, g.actx, g.running = ls, actx, true
	for _, in := range g.instances {
		g.start(in)
	}
	g.mu.Unlock()
	close(g.ready)
	g.sdNotify("READY=1\nSTATUS=serving on " + addrList(ls))

	wctx, stopWatchdog := context.WithCancel(context.Background())
	var watchdog sync.WaitGroup
	watchdog.Go(func() {
		g.notify.watch(wctx, func(err error) { g.log.Warn("systemd watchdog", "error", err) })
	})
	defer func() {
		stopWatchdog()
		watchdog.Wait()
	}()

	var serveErr error
	served := 0
	select {
	case <-ctx.Done():
		g.log.Info("shutting down")
	case serveErr = <-errc:
		served++
		g.log.Error("listener failed; shutting down", "error", serveErr)
	}
	g.sdNotify("STOPPING=1\nSTATUS=shutting down")
	g.shutdown()
	for ; served < len(ls); served++ {
		<-errc
	}
	if serveErr != nil && !errors.Is(serveErr, broker.ErrServerClosed) {
		return serveErr
	}
	return nil
}

// shutdown stops the adapters, publishes "offline" and stops the broker.
func (g *Gateway) shutdown() {
	g.mu.Lock()
	g.running = false
	ins := g.instances
	g.instances = nil
	cfg := g.cfg
	g.mu.Unlock()
	for _, in := range ins {
		in.cancel()
	}
	done := make(chan struct{})
	go func() {
		g.wg.Wait()
		close(done)
	}()
	stopped := waitFor(done, shutdownTimeout)
	if !stopped {
		g.log.Error("adapters did not stop in time; stopping the broker anyway", "timeout", shutdownTimeout)
	}
	g.publishStatus(cfg, StatusOffline)
	sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	if err := g.srv.Shutdown(sctx); err != nil {
		g.log.Error("broker shutdown", "error", err)
	}
	if !stopped && !waitFor(done, shutdownTimeout) {
		g.log.Error("an adapter ignores its context and is left running")
	}
}

// waitFor reports whether done closed within d.
func waitFor(done <-chan struct{}, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-done:
		return true
	case <-t.C:
		return false
	}
}

// listen opens every listener, or none.
func listen(addrs []string) ([]net.Listener, error) {
	var ls []net.Listener
	for _, a := range addrs {
		l, err := net.Listen("tcp", a)
		if err != nil {
			for _, l := range ls {
				l.Close()
			}
			return nil, fmt.Errorf("gateway: listen %s: %w", a, err)
		}
		ls = append(ls, l)
	}
	return ls, nil
}

func addrList(ls []net.Listener) string {
	s := make([]string, len(ls))
	for i, l := range ls {
		s[i] = l.Addr().String()
	}
	return strings.Join(s, ", ")
}

// sdNotify tells systemd state, logging a failure.
func (g *Gateway) sdNotify(state string) {
	if err := g.notify.send(state); err != nil {
		g.log.Warn("systemd notify", "error", err)
	}
}
