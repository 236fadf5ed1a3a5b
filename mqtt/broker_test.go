package mqtt

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/stretchr/testify/require"

	"github.com/lonelyleaf/surgemq/mqtt/mqtttest"
)

// testBroker is an MQTT server under test. Every factory in brokerFactories returns one; the
// client is tested against each.
type testBroker interface {
	// Addr is the plain TCP listener, "127.0.0.1:port".
	Addr() string
	// TLSAddr is the TLS listener, or "" when brokerConfig.TLS was nil.
	TLSAddr() string
	// Restart stops the server and starts it again on the same ports. With
	// brokerConfig.Persistence, sessions and queued messages survive.
	Restart(tb testing.TB)
	// Stop stops the server; t.Cleanup does it too.
	Stop()
}

// brokerConfig is what a test needs from its broker.
type brokerConfig struct {
	Persistence bool
	TLS         *testCert
	Users       map[string]string // Non-nil: only these users may connect.
	// DenyTopic, if set, is a topic filter no client may publish or subscribe to.
	DenyTopic string
}

// brokerFactory starts one kind of broker.
type brokerFactory struct {
	name  string
	start func(tb testing.TB, cfg brokerConfig) testBroker
}

// brokerFactories lists the brokers the client is tested against.
func brokerFactories() []brokerFactory {
	return []brokerFactory{
		{name: "mosquitto", start: startMosquitto},
		{name: "surgemq", start: startSurgemq},
	}
}

// forEachBroker runs f as a subtest against every broker.
func forEachBroker(t *testing.T, cfg brokerConfig, f func(t *testing.T, b testBroker)) {
	for _, bf := range brokerFactories() {
		t.Run(bf.name, func(t *testing.T) {
			f(t, bf.start(t, cfg))
		})
	}
}

// startBroker starts the first broker of brokerFactories (tests that need only one).
func startBroker(t testing.TB, cfg brokerConfig) testBroker {
	return brokerFactories()[0].start(t, cfg)
}

// startMosquitto starts Debian's Mosquitto for the test, configured as cfg asks.
func startMosquitto(tb testing.TB, cfg brokerConfig) testBroker {
	mc := mqtttest.MosquittoConfig{
		Users:       cfg.Users,
		Persistence: cfg.Persistence,
		Settings:    []string{"max_queued_messages 100000", "max_inflight_messages 20"},
	}
	if cfg.TLS != nil {
		mc.TLS = &mqtttest.TLSFiles{CertFile: cfg.TLS.certFile, KeyFile: cfg.TLS.keyFile}
	}
	if cfg.DenyTopic != "" {
		mc.ACL = fmt.Sprintf("pattern deny %s\npattern readwrite #\n", cfg.DenyTopic)
		if cfg.Users != nil {
			mc.ACL = ""
			for u := range cfg.Users {
				mc.ACL += fmt.Sprintf("user %s\ntopic deny %s\ntopic readwrite #\n", u, cfg.DenyTopic)
			}
		}
	}
	return mqtttest.StartMosquitto(tb, mc)
}

// testCert is a self-signed certificate for 127.0.0.1 and localhost.
type testCert struct {
	certFile, keyFile string
	pool              *x509.CertPool
	cert              tls.Certificate
}

// newTestCert generates a self-signed ECDSA certificate into t.TempDir().
func newTestCert(t *testing.T) *testCert {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "surgemq test"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		IPAddresses:           []net.IP{net.ParseIP("127.0.0.1")},
		DNSNames:              []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	keyDER, err := x509.MarshalECPrivateKey(key)
	require.NoError(t, err)
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER})
	dir := t.TempDir()
	c := &testCert{certFile: filepath.Join(dir, "cert.pem"), keyFile: filepath.Join(dir, "key.pem")}
	require.NoError(t, os.WriteFile(c.certFile, certPEM, 0o600))
	require.NoError(t, os.WriteFile(c.keyFile, keyPEM, 0o600))
	c.pool = x509.NewCertPool()
	require.True(t, c.pool.AppendCertsFromPEM(certPEM))
	c.cert, err = tls.X509KeyPair(certPEM, keyPEM)
	require.NoError(t, err)
	return c
}

// wsProxy is MQTT over WebSocket in front of a TCP broker: each WebSocket connection that
// offers the "mqtt" subprotocol is joined to a new TCP connection to the broker. Debian's
// mosquitto 2.0.11 cannot open a websockets listener here ("Unable to start any listening
// sockets"), so the WebSocket side is tested through this proxy.
type wsProxy struct {
	srv *httptest.Server
	wg  sync.WaitGroup

	mu    sync.Mutex
	conns []net.Conn // Broker-side connections, closed by cleanup.
}

// startWSProxy serves ws:// (or wss:// with cert) on a loopback port; t.Cleanup stops it.
func startWSProxy(t *testing.T, brokerAddr string, cert *testCert) *wsProxy {
	t.Helper()
	p := &wsProxy{}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ws, err := websocket.Accept(w, r, &websocket.AcceptOptions{Subprotocols: []string{"mqtt"}})
		if err != nil {
			return
		}
		if ws.Subprotocol() != "mqtt" {
			ws.Close(websocket.StatusPolicyViolation, "mqtt subprotocol required")
			return
		}
		bc, err := net.Dial("tcp", brokerAddr)
		if err != nil {
			ws.Close(websocket.StatusInternalError, "broker unreachable")
			return
		}
		p.mu.Lock()
		p.conns = append(p.conns, bc)
		p.mu.Unlock()
		nc := websocket.NetConn(context.Background(), ws, websocket.MessageBinary)
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			_, _ = io.Copy(bc, nc)
			bc.Close()
		}()
		_, _ = io.Copy(nc, bc)
		nc.Close()
	})
	p.srv = httptest.NewUnstartedServer(h)
	if cert != nil {
		p.srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert.cert}}
		p.srv.StartTLS()
	} else {
		p.srv.Start()
	}
	t.Cleanup(func() {
		p.mu.Lock()
		for _, c := range p.conns {
			c.Close()
		}
		p.mu.Unlock()
		p.srv.CloseClientConnections()
		p.srv.Close()
		p.wg.Wait()
	})
	return p
}

// URL returns the proxy's ws:// or wss:// URL.
func (p *wsProxy) URL() string {
	u := strings.Replace(p.srv.URL, "http", "ws", 1)
	return u + "/mqtt"
}
