package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/lonelyleaf/surgemq/mqtt/mqtttest"
)

// cliBroker is a broker the pub/sub commands are tested against.
type cliBroker interface {
	// Addr is the plain TCP listener, "127.0.0.1:port".
	Addr() string
	// TLSAddr is the TLS listener, or "" when cliBrokerConfig.TLS is nil.
	TLSAddr() string
}

// cliBrokerConfig is what a test needs from its broker.
type cliBrokerConfig struct {
	Users map[string]string // Non-nil: only these users may connect.
	TLS   *cliCerts
}

// cliBrokers lists the brokers the commands are tested against; more can be added.
func cliBrokers() []struct {
	name  string
	start func(t *testing.T, cfg cliBrokerConfig) cliBroker
} {
	return []struct {
		name  string
		start func(t *testing.T, cfg cliBrokerConfig) cliBroker
	}{
		{"mosquitto", startMosquittoCLI},
		{"surgemq", startSurgemqCLI},
	}
}

// eachBroker runs f against every broker.
func eachBroker(t *testing.T, cfg cliBrokerConfig, f func(t *testing.T, b cliBroker)) {
	for _, b := range cliBrokers() {
		t.Run(b.name, func(t *testing.T) { f(t, b.start(t, cfg)) })
	}
}

// startMosquittoCLI starts Debian's Mosquitto for the test, configured as cfg asks.
func startMosquittoCLI(t *testing.T, cfg cliBrokerConfig) cliBroker {
	mc := mqtttest.MosquittoConfig{Users: cfg.Users}
	if c := cfg.TLS; c != nil {
		mc.TLS = &mqtttest.TLSFiles{CAFile: c.caFile, CertFile: c.serverCert, KeyFile: c.serverKey,
			RequireCertificate: c.requireClientCert}
	}
	return mqtttest.StartMosquitto(t, mc)
}

func freeAddr(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	return l.Addr().String()
}

// result is the outcome of one command.
type result struct {
	code           int
	stdout, stderr string
}

// cmdRun is a command running in the background.
type cmdRun struct {
	stdout, stderr *mqtttest.Buffer
	done           chan result
	cancel         context.CancelFunc
}

// start runs "surgemq pub|sub args..." in the background with stdin as its input.
func start(t *testing.T, cmd string, stdin string, args ...string) *cmdRun {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	r := &cmdRun{stdout: &mqtttest.Buffer{}, stderr: &mqtttest.Buffer{}, done: make(chan result, 1), cancel: cancel}
	run := runPub
	if cmd == "sub" {
		run = runSub
	}
	go func() {
		code := run(ctx, args, strings.NewReader(stdin), r.stdout, r.stderr)
		r.done <- result{code, r.stdout.String(), r.stderr.String()}
	}()
	t.Cleanup(func() {
		cancel()
		<-r.done
	})
	return r
}

// wait returns the command's result, failing the test if it does not end in time.
func (r *cmdRun) wait(t *testing.T) result {
	t.Helper()
	select {
	case res := <-r.done:
		r.done <- res // For Cleanup.
		return res
	case <-time.After(20 * time.Second):
		t.Fatalf("command did not finish; stdout %q stderr %q", r.stdout.String(), r.stderr.String())
		return result{}
	}
}

// waitOutput waits until the command's stdout contains s.
func (r *cmdRun) waitOutput(t *testing.T, s string) {
	t.Helper()
	require.Eventually(t, func() bool { return strings.Contains(r.stdout.String(), s) }, 10*time.Second,
		5*time.Millisecond, "stdout %q stderr %q", r.stdout.String(), r.stderr.String())
}

// run runs a command to its end.
func run(t *testing.T, cmd, stdin string, args ...string) result {
	t.Helper()
	return start(t, cmd, stdin, args...).wait(t)
}

// hostPort returns -h and -p arguments for addr.
func hostPort(addr string) []string {
	h, p, _ := net.SplitHostPort(addr)
	return []string{"-h", h, "-p", p}
}

// args joins argument lists.
func args(parts ...[]string) []string {
	var out []string
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

// subscribed starts sub with extra arguments on topic and returns once it has subscribed: it
// retains a "ready" message on topic first (with creds as pub arguments), and waits for sub to
// print it. The retained message is then cleared, which sub receives as an empty message.
func subscribed(t *testing.T, b cliBroker, creds []string, topic string, extra ...string) *cmdRun {
	t.Helper()
	pub := args(hostPort(b.Addr()), creds, []string{"-t", topic, "-r", "-q", "1"})
	require.Equal(t, 0, run(t, "pub", "", append(pub, "-m", "ready")...).code)
	s := start(t, "sub", "", args(hostPort(b.Addr()), []string{"-t", topic}, extra)...)
	s.waitOutput(t, "ready")
	require.Equal(t, 0, run(t, "pub", "", append(pub, "-n")...).code)
	return s
}

// TestPubSub covers the message sources of pub (-m, -f, -s, -n, -l, --repeat) at each QoS,
// received by sub with -v and -C.
func TestPubSub(t *testing.T) {
	eachBroker(t, cliBrokerConfig{}, func(t *testing.T, b cliBroker) {
		for _, v := range []string{"31", "mqttv311", "5"} {
			t.Run("V"+v, func(t *testing.T) {
				file := filepath.Join(t.TempDir(), "payload")
				require.NoError(t, os.WriteFile(file, []byte("from\nfile"), 0o600))
				hp := hostPort(b.Addr())
				// ready, its clearing (empty, retained), then 9 messages.
				s := subscribed(t, b, nil, "cli/pubsub", "-v", "-q", "2", "-C", "11", "-V", v)
				for i, a := range [][]string{
					{"-m", "hello", "-q", "0"},
					{"-f", file, "-q", "1"},
					{"-s", "-q", "2"},
					{"-n"},
					{"-l", "-q", "1"},
					{"-m", "again", "--repeat", "2", "--repeat-delay", "0.01"},
				} {
					res := run(t, "pub", "line1\n\nline3", args(hp, []string{"-t", "cli/pubsub", "-V", v}, a)...)
					require.Equal(t, 0, res.code, "case %d: %+v", i, res)
					require.Empty(t, res.stderr)
				}
				res := s.wait(t)
				require.Equal(t, 0, res.code, res.stderr)
				require.Equal(t, "cli/pubsub ready\ncli/pubsub \ncli/pubsub hello\ncli/pubsub from\nfile\n"+
					"cli/pubsub line1\n\nline3\ncli/pubsub \ncli/pubsub line1\ncli/pubsub \ncli/pubsub line3\n"+
					"cli/pubsub again\ncli/pubsub again\n", res.stdout)
			})
		}
	})
}

// TestSubTermination checks -C, -W (exit 27, "Timed out"), -E, -R and --retained-only.
func TestSubTermination(t *testing.T) {
	eachBroker(t, cliBrokerConfig{}, func(t *testing.T, b cliBroker) {
		hp := hostPort(b.Addr())
		begin := time.Now()
		res := run(t, "sub", "", args(hp, []string{"-t", "cli/none", "-W", "1"})...)
		require.Equal(t, exitTimeout, res.code)
		require.Equal(t, "Timed out\n", res.stderr)
		require.GreaterOrEqual(t, time.Since(begin), time.Second)

		require.Equal(t, 0, run(t, "pub", "", args(hp, []string{"-t", "cli/term/old", "-m", "stale", "-r"})...).code)
		// -R: the retained message is neither printed nor counted.
		s := start(t, "sub", "", args(hp, []string{"-t", "cli/term/#", "-R", "-C", "1", "-W", "10"})...)
		// --retained-only prints the retained message and exits at the first live one.
		ro := start(t, "sub", "", args(hp, []string{"-t", "cli/term/#", "--retained-only", "-v", "-W", "10"})...)
		ro.waitOutput(t, "stale")
		// -E exits once subscribed; a persistent session then collects a message for later.
		res = run(t, "sub", "", args(hp, []string{"-t", "cli/term/#", "-E", "-c", "-i", "cli-term-e", "-q", "1"})...)
		require.Equal(t, 0, res.code, res.stderr)
		require.Equal(t, "", res.stdout)
		// s prints nothing until it gets a live message, so there is no telling when it has
		// subscribed: publish until it has printed one.
		deadline := time.Now().Add(10 * time.Second)
		for printed := false; !printed; {
			require.Equal(t, 0, run(t, "pub", "", args(hp, []string{"-t", "cli/term/new", "-m", "fresh", "-q", "1"})...).code)
			select {
			case r := <-s.done:
				s.done <- r
				printed = true
			case <-time.After(50 * time.Millisecond):
				require.True(t, time.Now().Before(deadline), "sub -R printed nothing")
			}
		}
		res = s.wait(t)
		require.Equal(t, 0, res.code)
		require.Equal(t, "fresh\n", res.stdout)
		res = ro.wait(t)
		require.Equal(t, 0, res.code)
		require.Equal(t, "cli/term/old stale\n", res.stdout)
		// The persistent session kept what was published while it was away.
		res = run(t, "sub", "", args(hp, []string{"-t", "cli/term/#", "-c", "-i", "cli-term-e", "-q", "1", "-C", "1", "-W", "10"})...)
		require.Equal(t, 0, res.code, res.stderr)
		require.Equal(t, "fresh\n", res.stdout)
		require.Equal(t, 0, run(t, "pub", "", args(hp, []string{"-t", "cli/term/old", "-n", "-r"})...).code)
	})
}

// TestExitCodes compares exit codes and messages with mosquitto_sub/mosquitto_pub for an
// unreachable broker, bad credentials (3.1.1 and 5) and usage errors.
func TestExitCodes(t *testing.T) {
	eachBroker(t, cliBrokerConfig{Users: map[string]string{"alice": "secret"}}, func(t *testing.T, b cliBroker) {
		hp := hostPort(b.Addr())
		closed := hostPort(freeAddr(t))
		cases := []struct {
			name string
			cmd  string
			args []string
			code int
			err  string
		}{
			{"refused", "sub", args(closed, []string{"-t", "a"}), 1, "Error: Connection refused\n"},
			{"refused", "pub", args(closed, []string{"-t", "a", "-m", "x"}), 1, "Error: Connection refused\n"},
			{"bad password 3.1.1", "sub", args(hp, []string{"-t", "a", "-u", "alice", "-P", "wrong"}), 5,
				"Connection error: Connection Refused: not authorised.\n"},
			{"anonymous 3.1.1", "pub", args(hp, []string{"-t", "a", "-m", "x"}), 5,
				"Connection error: Connection Refused: not authorised.\n"},
			{"bad password 5", "sub", args(hp, []string{"-t", "a", "-u", "alice", "-P", "wrong", "-V", "5"}), 135, ""},
			{"no topic", "sub", hp, 1, "Error: You must specify a topic to subscribe to."},
			{"no message", "pub", args(hp, []string{"-t", "a"}), 1, "Error: Both topic and message must be supplied."},
			{"bad filter", "sub", args(hp, []string{"-t", "a/#/b"}), 1, "Error: Invalid subscription topic 'a/#/b'"},
			{"bad topic", "pub", args(hp, []string{"-t", "a/+", "-m", "x"}), 1, "Error: Invalid publish topic 'a/+'"},
			{"bad qos", "pub", args(hp, []string{"-t", "a", "-m", "x", "-q", "3"}), 1, "Error: Invalid QoS given: 3"},
			{"no port", "sub", []string{"-t", "a", "-p"}, 1, "Error: -p argument given but no port specified."},
			{"unknown", "sub", []string{"--bogus"}, 1, "Error: Unknown option '--bogus'."},
		}
		for _, c := range cases {
			t.Run(c.cmd+" "+c.name, func(t *testing.T) {
				res := run(t, c.cmd, "", c.args...)
				require.Equal(t, c.code, res.code, res.stderr)
				require.Contains(t, res.stderr, c.err)
				if c.cmd == "sub" {
					c.args = append(c.args, "-W", "1")
				}
				out, err := exec.Command("mosquitto_"+c.cmd, c.args...).CombinedOutput()
				code := 0
				if ee, ok := err.(*exec.ExitError); ok {
					code = ee.ExitCode()
				} else if err != nil {
					t.Skipf("mosquitto_%s: %v", c.cmd, err)
				}
				require.Equal(t, code, res.code, "mosquitto_%s says: %s", c.cmd, out)
			})
		}
		res := run(t, "sub", "", "--help")
		require.Equal(t, 0, res.code)
		require.Contains(t, res.stdout, "Usage: surgemq sub")
		// Credentials given right, and through -L.
		creds := []string{"-u", "alice", "-P", "secret"}
		s := subscribed(t, b, creds, "cli/auth", "-u", "alice", "-P", "secret", "-C", "3")
		res = run(t, "pub", "", "-L", "mqtt://alice:secret@"+b.Addr()+"/cli/auth", "-m", "via url")
		require.Equal(t, 0, res.code, res.stderr)
		res = s.wait(t)
		require.Equal(t, 0, res.code, res.stderr)
		require.Equal(t, "ready\n\nvia url\n", res.stdout)
	})
}

// TestCrossCheck runs our pub against mosquitto_sub and mosquitto_pub against our sub, and
// compares -F output with mosquitto_sub's for the same messages.
func TestCrossCheck(t *testing.T) {
	eachBroker(t, cliBrokerConfig{}, func(t *testing.T, b cliBroker) {
		hp := hostPort(b.Addr())
		format := `%t|%p|%q|%r|%l|%x|%X|%C|%R|%P|%E|%F|%D|%%|%-12t|%5l|%05l|%.3t|\t@@`
		// mosquitto_sub, ready once it printed the retained message.
		require.Equal(t, 0, run(t, "pub", "", args(hp, []string{"-t", "cross/a", "-m", "ready", "-r"})...).code)
		mcmd := exec.Command("mosquitto_sub", append(hp, "-t", "cross/#", "-q", "2", "-V", "5", "-C", "4", "-W", "20", "-F", format)...)
		var mout mqtttest.Buffer
		mcmd.Stdout, mcmd.Stderr = &mout, &mout
		require.NoError(t, mcmd.Start())
		var merr error
		mdone := make(chan struct{})
		go func() {
			merr = mcmd.Wait()
			close(mdone)
		}()
		t.Cleanup(func() {
			_ = mcmd.Process.Kill()
			<-mdone
		})
		ours := start(t, "sub", "", args(hp, []string{"-t", "cross/#", "-q", "2", "-V", "5", "-C", "4", "-W", "20", "-F", format})...)
		require.Eventually(t, func() bool {
			return strings.Contains(mout.String(), "ready") && strings.Contains(ours.stdout.String(), "ready")
		}, 10*time.Second, 5*time.Millisecond)

		// Our pub, with MQTT 5 properties, then mosquitto_pub.
		res := run(t, "pub", "", args(hp, []string{"-t", "cross/a", "-m", "from surgemq", "-q", "1",
			"-D", "publish", "content-type", "text/plain", "-D", "publish", "user-property", "k", "v",
			"-D", "publish", "response-topic", "cross/reply", "-D", "publish", "correlation-data", "c1",
			"-D", "publish", "message-expiry-interval", "3600", "-D", "publish", "payload-format-indicator", "1"})...)
		require.Equal(t, 0, res.code, res.stderr)
		out, err := exec.Command("mosquitto_pub", append(hp, "-t", "cross/b", "-m", "from mosquitto", "-q", "2", "-V", "5",
			"-D", "publish", "user-property", "a", "b")...).CombinedOutput()
		require.NoError(t, err, string(out))
		res = run(t, "pub", "", args(hp, []string{"-t", "cross/a", "-n", "-r"})...)
		require.Equal(t, 0, res.code, res.stderr)

		<-mdone
		require.NoError(t, merr, mout.String())
		res = ours.wait(t)
		require.Equal(t, 0, res.code, res.stderr)
		// The same lines, byte for byte; a broker may deliver a QoS 2 message after a QoS 0
		// one published later (MQTT orders messages only within a QoS), so not in one order.
		lines := func(s string) []string { l := strings.SplitAfter(s, "\n"); slices.Sort(l); return l }
		require.Equal(t, lines(mout.String()), lines(res.stdout))
		require.Contains(t, res.stdout, "cross/a|from surgemq|1|0|12|")
		require.Contains(t, res.stdout, "|text/plain|cross/reply|k:v|")
		require.Contains(t, res.stdout, "cross/b|from mosquitto|2|0|")
	})
}

// cliCerts is a CA with a server and a client certificate, in files.
type cliCerts struct {
	caFile, serverCert, serverKey, clientCert, clientKey string
	requireClientCert                                    bool
}

// newCLICerts makes a CA, a server certificate for 127.0.0.1 only, and a client certificate.
func newCLICerts(t *testing.T) *cliCerts {
	dir := t.TempDir()
	write := func(name, typ string, der []byte) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600))
		return p
	}
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	ca := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test ca"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, ca, ca, &caKey.PublicKey, caKey)
	require.NoError(t, err)
	c := &cliCerts{caFile: write("ca.pem", "CERTIFICATE", caDER)}
	leaf := func(name string, serial int64, usage x509.ExtKeyUsage, ips []net.IP) (string, string) {
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		require.NoError(t, err)
		tmpl := &x509.Certificate{SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: name},
			NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
			KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{usage}, IPAddresses: ips}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
		require.NoError(t, err)
		kd, err := x509.MarshalECPrivateKey(key)
		require.NoError(t, err)
		return write(name+".pem", "CERTIFICATE", der), write(name+"-key.pem", "EC PRIVATE KEY", kd)
	}
	c.serverCert, c.serverKey = leaf("server", 2, x509.ExtKeyUsageServerAuth, []net.IP{net.ParseIP("127.0.0.1")})
	c.clientCert, c.clientKey = leaf("client", 3, x509.ExtKeyUsageClientAuth, nil)
	return c
}

// TestTLSFlags checks --cafile, --cert/--key (the broker requires a client certificate) and
// --insecure (the server certificate does not name "localhost").
func TestTLSFlags(t *testing.T) {
	certs := newCLICerts(t)
	certs.requireClientCert = true
	eachBroker(t, cliBrokerConfig{TLS: certs}, func(t *testing.T, b cliBroker) {
		_, p, _ := net.SplitHostPort(b.TLSAddr())
		tlsArgs := []string{"-p", p, "--cafile", certs.caFile, "--cert", certs.clientCert, "--key", certs.clientKey, "-t", "tls/x", "-m", "x", "-q", "1"}
		res := run(t, "pub", "", append([]string{"-h", "127.0.0.1"}, tlsArgs...)...)
		require.Equal(t, 0, res.code, res.stderr)
		res = run(t, "pub", "", append([]string{"-h", "localhost"}, tlsArgs...)...)
		require.Equal(t, 1, res.code)
		require.Contains(t, res.stderr, "certificate")
		res = run(t, "pub", "", append([]string{"-h", "localhost", "--insecure"}, tlsArgs...)...)
		require.Equal(t, 0, res.code, res.stderr)
		res = run(t, "pub", "", "-h", "127.0.0.1", "-p", p, "--cafile", certs.caFile, "-t", "tls/x", "-m", "x")
		require.NotEqual(t, 0, res.code, "the broker requires a client certificate")
	})
}
