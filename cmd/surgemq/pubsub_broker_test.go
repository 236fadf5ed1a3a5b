package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"io"
	"log/slog"
	"net"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/lonelyleaf/surgemq/broker"
	"github.com/lonelyleaf/surgemq/mqtt/packet"
)

// surgemqCLI is our own broker, in process, for the pub/sub command tests.
type surgemqCLI struct{ addr, tlsAddr string }

func (s *surgemqCLI) Addr() string    { return s.addr }
func (s *surgemqCLI) TLSAddr() string { return s.tlsAddr }

// startSurgemqCLI starts the broker on free loopback ports and shuts it down when the test ends.
func startSurgemqCLI(t *testing.T, cfg cliBrokerConfig) cliBroker {
	t.Helper()
	o := broker.Options{SysInterval: -1, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if cfg.Users != nil {
		o.Authenticator = cliUsers(cfg.Users)
	}
	srv, err := broker.New(o)
	require.NoError(t, err)
	s := &surgemqCLI{}
	serve := func(l net.Listener) {
		go srv.Serve(l)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	s.addr = l.Addr().String()
	serve(l)
	if c := cfg.TLS; c != nil {
		cert, err := tls.LoadX509KeyPair(c.serverCert, c.serverKey)
		require.NoError(t, err)
		tc := &tls.Config{Certificates: []tls.Certificate{cert}}
		if c.requireClientCert {
			ca, err := os.ReadFile(c.caFile)
			require.NoError(t, err)
			pool := x509.NewCertPool()
			require.True(t, pool.AppendCertsFromPEM(ca))
			tc.ClientCAs, tc.ClientAuth = pool, tls.RequireAndVerifyClientCert
		}
		tl, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		s.tlsAddr = tl.Addr().String()
		serve(tls.NewListener(tl, tc))
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
	})
	return s
}

// cliUsers authenticates against a fixed table, refusing others as Mosquitto does ("not
// authorised"), so exit codes compare.
type cliUsers map[string]string

func (u cliUsers) Authenticate(_ broker.ClientInfo, user string, pass []byte) error {
	if want, ok := u[user]; ok && want == string(pass) {
		return nil
	}
	return packet.ErrNotAuthorized
}
