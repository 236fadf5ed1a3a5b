package mqtt

import (
	"context"
	"crypto/tls"
	"io"
	"log/slog"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/lonelyleaf/surgemq/broker"
	"github.com/lonelyleaf/surgemq/broker/store"
	"github.com/lonelyleaf/surgemq/mqtt/packet"
	"github.com/lonelyleaf/surgemq/mqtt/topic"
)

// surgemqBroker is our own broker, in process, as a testBroker.
type surgemqBroker struct {
	cfg      brokerConfig
	dir      string // store directory with cfg.Persistence
	addr     string
	tlsAddr  string
	srv      *broker.Server
	stopped  bool
	serveErr chan error
}

// startSurgemq starts the broker on free loopback ports; t.Cleanup stops it.
func startSurgemq(t testing.TB, cfg brokerConfig) testBroker {
	t.Helper()
	b := &surgemqBroker{cfg: cfg, addr: "127.0.0.1:0"}
	if cfg.Persistence {
		b.dir = t.TempDir()
	}
	if cfg.TLS != nil {
		b.tlsAddr = "127.0.0.1:0"
	}
	b.start(t)
	t.Cleanup(b.Stop)
	return b
}

func (b *surgemqBroker) start(t testing.TB) {
	t.Helper()
	o := broker.Options{SysInterval: -1, MaxQueuedMessages: 100000, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if b.dir != "" {
		o.Persistence = &store.Options{Dir: b.dir}
	}
	if b.cfg.Users != nil {
		o.Authenticator = users(b.cfg.Users)
	}
	if b.cfg.DenyTopic != "" {
		o.Authorizer = deny(b.cfg.DenyTopic)
	}
	srv, err := broker.New(o)
	require.NoError(t, err)
	errc := make(chan error, 2)
	b.srv, b.stopped, b.serveErr = srv, false, errc
	// Restart binds the same ports again; the kernel may need a moment to release them.
	listen := func(addr string) net.Listener {
		var l net.Listener
		require.Eventually(t, func() bool {
			l, err = net.Listen("tcp", addr)
			return err == nil
		}, 10*time.Second, 10*time.Millisecond, "listen %s: %v", addr, err)
		return l
	}
	l := listen(b.addr)
	b.addr = l.Addr().String()
	go func() { errc <- srv.Serve(l) }()
	if b.tlsAddr != "" {
		tl := listen(b.tlsAddr)
		b.tlsAddr = tl.Addr().String()
		go func() {
			errc <- srv.Serve(tls.NewListener(tl, &tls.Config{Certificates: []tls.Certificate{b.cfg.TLS.cert}}))
		}()
	}
}

func (b *surgemqBroker) Addr() string    { return b.addr }
func (b *surgemqBroker) TLSAddr() string { return b.tlsAddr }

func (b *surgemqBroker) Restart(t testing.TB) {
	t.Helper()
	b.Stop()
	b.start(t)
}

func (b *surgemqBroker) Stop() {
	if b.stopped {
		return
	}
	b.stopped = true
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	b.srv.Shutdown(ctx)
}

// users authenticates against a fixed table.
type users map[string]string

func (u users) Authenticate(_ broker.ClientInfo, user string, pass []byte) error {
	if want, ok := u[user]; ok && want == string(pass) {
		return nil
	}
	return packet.ErrBadCredentials
}

// deny refuses one filter's topics to everyone.
type deny string

func (d deny) CanSubscribe(_ broker.ClientInfo, filter string) bool {
	return !topic.Match(string(d), filter) && filter != string(d)
}
func (d deny) CanPublish(_ broker.ClientInfo, name string) bool { return !topic.Match(string(d), name) }
