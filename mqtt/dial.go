package mqtt

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"

	"github.com/coder/websocket"
)

// transport is how a server URL is reached.
type transport byte

const (
	transportTCP transport = iota
	transportTLS
	transportWS
	transportWSS
)

// server is a parsed server URL.
type server struct {
	u         *url.URL
	transport transport
	addr      string // host:port
}

// parseServer parses a server URL: mqtt:// or tcp:// (port 1883), mqtts://, ssl:// or tls://
// (8883), ws:// (80) or wss:// (443). A bare "host:port" means mqtt://host:port.
func parseServer(raw string) (server, error) {
	if !strings.Contains(raw, "://") {
		raw = "mqtt://" + raw
	}
	u, err := url.Parse(raw)
	if err != nil {
		return server{}, fmt.Errorf("%w: %w", ErrBadURL, err)
	}
	var s server
	var port string
	switch strings.ToLower(u.Scheme) {
	case "mqtt", "tcp":
		s.transport, port = transportTCP, "1883"
	case "mqtts", "ssl", "tls":
		s.transport, port = transportTLS, "8883"
	case "ws":
		s.transport, port = transportWS, "80"
	case "wss":
		s.transport, port = transportWSS, "443"
	default:
		return server{}, fmt.Errorf("%w: unsupported scheme %q", ErrBadURL, u.Scheme)
	}
	if u.Hostname() == "" {
		return server{}, fmt.Errorf("%w: no host in %q", ErrBadURL, raw)
	}
	if u.Port() != "" {
		port = u.Port()
	}
	s.u, s.addr = u, net.JoinHostPort(u.Hostname(), port)
	return s, nil
}

// dial opens the byte stream MQTT runs over, handshakes included.
func (s server) dial(ctx context.Context, o *options) (net.Conn, error) {
	switch s.transport {
	case transportWS, transportWSS:
		return s.dialWebSocket(ctx, o)
	}
	nc, err := o.Dialer.DialContext(ctx, "tcp", s.addr)
	if err != nil {
		return nil, err
	}
	if s.transport == transportTCP {
		return nc, nil
	}
	tc := tls.Client(nc, s.tlsConfig(o))
	if err := tc.HandshakeContext(ctx); err != nil {
		nc.Close()
		return nil, fmt.Errorf("tls handshake: %w", err)
	}
	return tc, nil
}

// tlsConfig returns the TLS configuration for s, naming the URL's host for verification
// unless the caller set ServerName.
func (s server) tlsConfig(o *options) *tls.Config {
	var cfg *tls.Config
	if o.TLSConfig != nil {
		cfg = o.TLSConfig.Clone()
	} else {
		cfg = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	if cfg.ServerName == "" {
		cfg.ServerName = s.u.Hostname()
	}
	return cfg
}

// dialWebSocket opens MQTT over WebSocket with the "mqtt" subprotocol. The URL's path is sent
// as is; an empty path becomes "/mqtt", the usual broker default.
func (s server) dialWebSocket(ctx context.Context, o *options) (net.Conn, error) {
	u := *s.u
	u.User = nil
	if u.Path == "" {
		u.Path = "/mqtt"
	}
	if s.transport == transportWSS {
		u.Scheme = "https"
	} else {
		u.Scheme = "http"
	}
	tr := &http.Transport{
		DialContext:     o.Dialer.DialContext,
		TLSClientConfig: s.tlsConfig(o),
		Proxy:           nil,
	}
	defer tr.CloseIdleConnections()
	ws, resp, err := websocket.Dial(ctx, u.String(), &websocket.DialOptions{
		HTTPClient:   &http.Client{Transport: tr},
		HTTPHeader:   o.WebSocketHeader,
		Subprotocols: []string{"mqtt"},
	})
	if resp != nil && resp.Body != nil {
		resp.Body.Close()
	}
	if err != nil {
		return nil, fmt.Errorf("websocket: %w", err)
	}
	if ws.Subprotocol() != "mqtt" {
		ws.Close(websocket.StatusProtocolError, "mqtt subprotocol required")
		return nil, fmt.Errorf("websocket: server did not accept the mqtt subprotocol")
	}
	// The net.Conn lives until Close; its context must not be the dial's.
	return websocket.NetConn(context.Background(), ws, websocket.MessageBinary), nil
}
