package gateway

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/lonelyleaf/surgemq/adapters"
	"github.com/lonelyleaf/surgemq/pingmq"
)

func TestStatusOnlineThenOffline(t *testing.T) {
	cfg := localConfig()
	cfg.Prefix = "site/gw"
	g := startGateway(t, cfg)
	l := connectLaptop(t, g.addr, "laptop", "site/gw/status")
	l.waitFor(t, "site/gw/status", "online")

	require.NoError(t, g.stop())
	l.waitFor(t, "site/gw/status", "offline") // delivered before the broker closed the connection
	select {
	case <-l.lost:
	case <-time.After(wait):
		t.Fatal("the connection outlived the broker")
	}
}

func TestRunTwiceAndReloadOutsideRun(t *testing.T) {
	g, err := New(localConfig(), nil)
	require.NoError(t, err)
	require.Empty(t, g.Addrs())
	require.ErrorIs(t, g.Reload(localConfig()), ErrNotRunning)

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- g.Run(ctx) }()
	<-g.Ready()
	require.ErrorIs(t, g.Run(ctx), ErrRunning)
	cancel()
	require.NoError(t, <-done)
	require.ErrorIs(t, g.Reload(localConfig()), ErrNotRunning)
}

func TestListenFailure(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer busy.Close()
	cfg := localConfig()
	cfg.Broker.Listeners = []string{"127.0.0.1:0", busy.Addr().String()}
	g, err := New(cfg, nil)
	require.NoError(t, err)
	err = g.Run(context.Background())
	require.ErrorContains(t, err, "listen "+busy.Addr().String())
	select {
	case <-g.Ready():
		t.Fatal("ready after a failed listen")
	default:
	}
}

func TestSeveralListeners(t *testing.T) {
	cfg := localConfig()
	cfg.Broker.Listeners = []string{"127.0.0.1:0", "127.0.0.1:0"}
	g := startGateway(t, cfg)
	addrs := g.Addrs()
	require.Len(t, addrs, 2)
	require.NotEqual(t, addrs[0].String(), addrs[1].String())
	a := connectLaptop(t, addrs[0].String(), "a", "")
	b := connectLaptop(t, addrs[1].String(), "b", "x")
	a.publish(t, "x", "over two listeners")
	b.waitFor(t, "x", "over two listeners")
}

// With [persistence] mode = "disk", retained messages and a persistent session's queue
// survive a restart of the gateway.
func TestDiskPersistence(t *testing.T) {
	cfg := localConfig()
	cfg.Persistence.Mode, cfg.Persistence.Path = PersistenceDisk, t.TempDir()
	g := startGateway(t, cfg)
	l := connectLaptop(t, g.addr, "laptop", "")
	tok := l.Publish("kept/retained", 1, true, "still here")
	require.True(t, tok.WaitTimeout(wait))
	require.NoError(t, tok.Error())
	require.NoError(t, g.stop())

	g = startGateway(t, cfg)
	l2 := connectLaptop(t, g.addr, "laptop2", "kept/#")
	l2.waitFor(t, "kept/retained", "still here")
}

// failing is an adapter that fails in the ways listed in plan, one per run, then runs
// normally; run n (from 0) is announced on runs.
type failing struct {
	plan []string // "error", "panic", "return", "handler-panic"
	runs chan int
	n    int
}

func (f *failing) Run(ctx context.Context, c adapters.Client) error {
	n := f.n
	f.n++
	f.runs <- n
	if n < len(f.plan) {
		switch f.plan[n] {
		case "error":
			return errors.New("device on fire")
		case "panic":
			panic("adapter bug")
		case "return":
			return nil
		case "handler-panic":
			unsub, err := c.Subscribe(ctx, "boom", 0, func(adapters.Message) { panic("handler bug") })
			if err != nil {
				return err
			}
			defer unsub()
			if err := c.Publish(ctx, "boom", []byte("x"), 0, false); err != nil {
				return err
			}
			<-ctx.Done() // ended by the panic
			return nil
		case "no-icmp":
			return pingmq.ErrNoICMP
		}
	}
	<-ctx.Done()
	return nil
}

// failingRegistry makes every ping table the adapter f.
func failingRegistry(f *failing) *adapters.Registry {
	r := Registry()
	r.Set("ping", func(any, *slog.Logger) (adapters.Adapter, error) { return f, nil })
	return r
}

func TestSupervisorRestartsFailedAdapters(t *testing.T) {
	f := &failing{plan: []string{"error", "panic", "return", "handler-panic", "error"}, runs: make(chan int, 10)}
	var attempts []int
	attemptc := make(chan int, 10)
	cfg := localConfig()
	cfg.Ping = []pingmq.Config{fastPing("10.0.0.1")}
	g := startGateway(t, cfg, WithRegistry(failingRegistry(f)), WithBackoff(func(a int) time.Duration {
		attemptc <- a
		return time.Millisecond
	}))
	l := connectLaptop(t, g.addr, "laptop", "surgemq/status")

	for want := range 6 {
		select {
		case n := <-f.runs:
			require.Equal(t, want, n)
		case <-time.After(wait):
			t.Fatalf("run %d did not start", want)
		}
	}
	for range 5 {
		attempts = append(attempts, <-attemptc)
	}
	require.Equal(t, []int{0, 1, 2, 3, 4}, attempts, "backoff grows while failures follow each other")

	// The broker and its client never noticed.
	l.connected(t)
	l.waitFor(t, "surgemq/status", "online")
	log := g.log.String()
	for _, s := range []string{"device on fire", "adapter panicked: adapter bug", "adapter returned while it should run",
		"adapter panicked: handler for boom: handler bug"} {
		require.Contains(t, log, s)
	}
	require.Contains(t, log, "gateway/supervise.go", "the panic's stack is logged")
	require.Equal(t, int64(5), g.instances[0].failures.Load())
}

func TestPermanentFailureIsNotRetriedUntilReload(t *testing.T) {
	f := &failing{plan: []string{"no-icmp"}, runs: make(chan int, 10)}
	cfg := localConfig()
	cfg.Ping = []pingmq.Config{fastPing("10.0.0.1")}
	g := startGateway(t, cfg, WithRegistry(failingRegistry(f)), WithBackoff(func(int) time.Duration { return time.Millisecond }))
	require.Equal(t, 0, <-f.runs)
	g.mu.Lock()
	in := g.instances[0]
	g.mu.Unlock()
	select {
	case <-in.done: // the supervisor gave up
	case <-time.After(wait):
		t.Fatal("supervisor still running")
	}
	require.True(t, in.gaveUp.Load())
	require.Equal(t, int64(1), in.runs.Load())
	require.NotContains(t, g.log.String(), "level=ERROR", "pingmq logs the one clear line; the gateway adds none")

	// A reload with the same config tries again (the operator fixed the host).
	require.NoError(t, g.Reload(cfg))
	require.Equal(t, 1, <-f.runs)
}

func TestReloadAddsRemovesAndRestartsAdapters(t *testing.T) {
	lab := newFakeNet("10.0.0.1", "10.0.0.2", "10.0.0.3")
	cfg := localConfig()
	cfg.Ping = []pingmq.Config{fastPing("10.0.0.1")}
	g := startGateway(t, cfg, WithRegistry(pingerRegistry(lab.ping)))
	l := connectLaptop(t, g.addr, "laptop", "surgemq/ping/+/state")
	l.waitFor(t, "surgemq/ping/10.0.0.1/state", "online")
	first := g.instances[0]

	// Add a [[ping]] table: a new monitor runs; the first one keeps running untouched.
	cfg.Ping = append(cfg.Ping, fastPing("10.0.0.2"))
	require.NoError(t, g.Reload(cfg))
	l.waitFor(t, "surgemq/ping/10.0.0.2/state", "online")
	require.Len(t, g.instances, 2)
	require.Same(t, first, g.instances[0])
	require.Equal(t, int64(1), first.runs.Load())

	// Remove it: it stops (Reload waits for that), no more pings of 10.0.0.2.
	cfg.Ping = cfg.Ping[:1]
	require.NoError(t, g.Reload(cfg))
	require.Len(t, g.instances, 1)
	require.Same(t, first, g.instances[0])
	after := lab.count("10.0.0.2")
	n := lab.count("10.0.0.1")
	require.Eventually(t, func() bool { return lab.count("10.0.0.1") >= n+3 }, wait, time.Millisecond)
	require.Equal(t, after, lab.count("10.0.0.2"), "the removed monitor still pings")

	// Change it: restarted with the new values.
	cfg.Ping[0].Targets = []string{"10.0.0.1", "10.0.0.3"}
	require.NoError(t, g.Reload(cfg))
	l.waitFor(t, "surgemq/ping/10.0.0.3/state", "online")
	require.NotSame(t, first, g.instances[0])
	select {
	case <-first.done:
	default:
		t.Fatal("the old monitor still runs")
	}

	// A broker change is logged, not applied; an invalid config changes nothing.
	cfg.Broker.MaxInflight = 5
	require.NoError(t, g.Reload(cfg))
	require.Contains(t, g.log.String(), "reload: [broker] changed; restart surgemq to apply it")
	bad := cfg
	bad.Ping = []pingmq.Config{fastPing()}
	require.ErrorIs(t, g.Reload(bad), ErrInvalidConfig)
	require.Len(t, g.instances, 1)

	// The client was never disconnected.
	l.connected(t)
	require.Equal(t, int64(1), g.Server().Stats().ClientsTotal)
	l.publish(t, "surgemq/ping/x/state", "still here")
	l.waitFor(t, "surgemq/ping/x/state", "still here")
	require.False(t, strings.Contains(g.log.String(), "level=ERROR"), "errors logged")
}
