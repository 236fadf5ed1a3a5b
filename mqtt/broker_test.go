package mqtt

import (
	"bytes"
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
	"os/exec"
	"os/user"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/stretchr/testify/require"
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

const mosquittoPath = "/usr/sbin/mosquitto"

// mosquitto is a Mosquitto process started from a generated config file.
type mosquitto struct {
	conf    string
	addr    string
	tlsAddr string

	mu  sync.Mutex
	cmd *exec.Cmd
	out *syncBuffer
	// exited is closed when cmd has been waited for.
	exited chan struct{}
}

// startMosquitto starts mosquitto on free loopback ports; t.Cleanup stops it.
func startMosquitto(t testing.TB, cfg brokerConfig) testBroker {
	t.Helper()
	path, err := exec.LookPath("mosquitto")
	if err != nil {
		path = mosquittoPath
	}
	if _, err := os.Stat(path); err != nil {
		t.Skip("mosquitto is not installed (apt-get install mosquitto); skipping broker tests")
	}
	dir := t.TempDir()
	m := &mosquitto{conf: filepath.Join(dir, "mosquitto.conf")}
	// A port picked by the kernel may be taken before mosquitto binds it; try a few.
	for attempt := 0; ; attempt++ {
		m.addr = freeAddr(t)
		var conf strings.Builder
		fmt.Fprintf(&conf, "per_listener_settings false\nlog_dest stderr\nlog_type error\nlog_type warning\n")
		fmt.Fprintf(&conf, "max_queued_messages 100000\nmax_inflight_messages 20\n")
		if u, err := user.Current(); err == nil {
			// Started as root, mosquitto would switch to user "mosquitto", which cannot read
			// the test's private temporary directory.
			fmt.Fprintf(&conf, "user %s\n", u.Username)
		}
		fmt.Fprintf(&conf, "listener %s 127.0.0.1\n", port(m.addr))
		if cfg.TLS != nil {
			m.tlsAddr = freeAddr(t)
			fmt.Fprintf(&conf, "listener %s 127.0.0.1\ncertfile %s\nkeyfile %s\n", port(m.tlsAddr), cfg.TLS.certFile, cfg.TLS.keyFile)
		}
		if cfg.Users != nil {
			pw := filepath.Join(dir, "passwd")
			var lines strings.Builder
			for u, p := range cfg.Users {
				fmt.Fprintf(&lines, "%s:%s\n", u, p)
			}
			require.NoError(t, os.WriteFile(pw, []byte(lines.String()), 0o600))
			out, err := exec.Command("mosquitto_passwd", "-U", pw).CombinedOutput()
			require.NoError(t, err, "mosquitto_passwd: %s", out)
			fmt.Fprintf(&conf, "allow_anonymous false\npassword_file %s\n", pw)
		} else {
			fmt.Fprintf(&conf, "allow_anonymous true\n")
		}
		if cfg.DenyTopic != "" {
			acl := filepath.Join(dir, "acl")
			rules := fmt.Sprintf("pattern deny %s\npattern readwrite #\n", cfg.DenyTopic)
			if cfg.Users != nil {
				rules = ""
				for u := range cfg.Users {
					rules += fmt.Sprintf("user %s\ntopic deny %s\ntopic readwrite #\n", u, cfg.DenyTopic)
				}
			}
			require.NoError(t, os.WriteFile(acl, []byte(rules), 0o600))
			fmt.Fprintf(&conf, "acl_file %s\n", acl)
		}
		if cfg.Persistence {
			fmt.Fprintf(&conf, "persistence true\npersistence_location %s/\nautosave_interval 1\n", dir)
		} else {
			fmt.Fprintf(&conf, "persistence false\n")
		}
		require.NoError(t, os.WriteFile(m.conf, []byte(conf.String()), 0o600))
		err := m.start(path)
		if err == nil {
			break
		}
		if attempt == 3 {
			t.Fatalf("mosquitto did not start: %v\n%s", err, m.out.String())
		}
	}
	t.Cleanup(func() {
		m.Stop()
		if t.Failed() {
			t.Logf("mosquitto log:\n%s", m.out.String())
		}
	})
	return m
}

// start runs mosquitto and waits until its listeners accept connections.
func (m *mosquitto) start(path string) error {
	cmd := exec.Command(path, "-c", m.conf)
	out := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		return err
	}
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(exited)
	}()
	m.mu.Lock()
	m.cmd, m.out, m.exited = cmd, out, exited
	m.mu.Unlock()
	for _, addr := range []string{m.addr, m.tlsAddr} {
		if addr == "" {
			continue
		}
		if err := waitListening(addr, exited); err != nil {
			m.Stop()
			return err
		}
	}
	return nil
}

// waitListening dials addr until it accepts, the process exits or 10 s pass.
func waitListening(addr string, exited <-chan struct{}) error {
	deadline := time.Now().Add(10 * time.Second)
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s not listening: %w", addr, err)
		}
		select {
		case <-exited:
			return fmt.Errorf("broker exited before listening on %s", addr)
		case <-tick.C:
		}
	}
}

func (m *mosquitto) Addr() string    { return m.addr }
func (m *mosquitto) TLSAddr() string { return m.tlsAddr }

// Stop sends SIGTERM (mosquitto saves its persistence file on the way out), and SIGKILL if it
// has not exited after 10 s.
func (m *mosquitto) Stop() {
	m.mu.Lock()
	cmd, exited := m.cmd, m.exited
	m.cmd = nil
	m.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-exited:
	case <-time.After(10 * time.Second):
		_ = cmd.Process.Kill()
		<-exited
	}
}

func (m *mosquitto) Restart(t testing.TB) {
	t.Helper()
	m.Stop()
	path, err := exec.LookPath("mosquitto")
	if err != nil {
		path = mosquittoPath
	}
	require.NoError(t, m.start(path), "restart mosquitto: %s", m.out.String())
}

// freeAddr returns a loopback address with a port that was free a moment ago.
func freeAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	return l.Addr().String()
}

func port(addr string) string {
	_, p, _ := net.SplitHostPort(addr)
	return p
}

// syncBuffer is a bytes.Buffer safe for the process's output copier and the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
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
