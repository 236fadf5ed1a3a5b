package mqtttest

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// mosquittoPath is where Debian installs the broker, which is not on a non-root user's PATH.
const mosquittoPath = "/usr/sbin/mosquitto"

// startTimeout bounds how long Mosquitto may take to listen, and to stop on SIGTERM.
const startTimeout = 10 * time.Second

// MosquittoConfig is what a test needs from its Mosquitto. The zero value is an anonymous
// broker with one plain listener and no persistence.
type MosquittoConfig struct {
	// Users, when non-nil, are the only users that may connect (user name → password).
	Users map[string]string
	// ACL, when not empty, is the content of Mosquitto's acl_file.
	ACL string
	// TLS, when non-nil, adds a second listener that speaks TLS.
	TLS *TLSFiles
	// Persistence keeps sessions, queued and retained messages across Restart: Mosquitto
	// saves them every second and when it stops.
	Persistence bool
	// Settings are more mosquitto.conf lines, for example "max_inflight_messages 20".
	Settings []string
}

// TLSFiles configures Mosquitto's TLS listener.
type TLSFiles struct {
	CAFile, CertFile, KeyFile string
	// RequireCertificate makes clients present a certificate signed by CAFile.
	RequireCertificate bool
}

// Mosquitto is a Mosquitto process started by StartMosquitto.
type Mosquitto struct {
	path, conf    string
	addr, tlsAddr string

	mu     sync.Mutex
	cmd    *exec.Cmd
	exited chan struct{} // closed once cmd has been waited for
	log    *Buffer
}

// StartMosquitto starts Mosquitto on free 127.0.0.1 ports and stops it when the test ends,
// printing its log if the test failed. The test is skipped where Mosquitto is not installed
// (apt-get install mosquitto).
func StartMosquitto(t testing.TB, cfg MosquittoConfig) *Mosquitto {
	t.Helper()
	path, err := exec.LookPath("mosquitto")
	if err != nil {
		path = mosquittoPath
	}
	if _, err := os.Stat(path); err != nil {
		t.Skip("mosquitto is not installed (apt-get install mosquitto)")
	}
	dir := t.TempDir()
	m := &Mosquitto{path: path, conf: filepath.Join(dir, "mosquitto.conf")}
	t.Cleanup(func() {
		m.Stop()
		if t.Failed() {
			t.Logf("mosquitto log:\n%s", m.Log())
		}
	})
	// A port the kernel handed out may be taken again before Mosquitto binds it; then
	// Mosquitto exits and another port is tried.
	for attempt := 1; ; attempt++ {
		m.addr, m.tlsAddr = freeAddr(t), ""
		if cfg.TLS != nil {
			m.tlsAddr = freeAddr(t)
		}
		conf, err := m.config(dir, cfg)
		if err != nil {
			t.Fatalf("mosquitto config: %v", err)
		}
		if err := os.WriteFile(m.conf, []byte(conf), 0o600); err != nil {
			t.Fatal(err)
		}
		err = m.start()
		if err == nil {
			return m
		}
		if attempt == 4 {
			t.Fatalf("mosquitto did not start: %v\n%s", err, m.Log())
		}
	}
}

// config renders mosquitto.conf, writing the password and ACL files it names into dir.
func (m *Mosquitto) config(dir string, cfg MosquittoConfig) (string, error) {
	var b strings.Builder
	b.WriteString("per_listener_settings false\nlog_dest stderr\nlog_type error\nlog_type warning\n")
	if u, err := user.Current(); err == nil {
		// Started as root, Mosquitto would switch to user "mosquitto", which cannot read the
		// test's private temporary directory.
		fmt.Fprintf(&b, "user %s\n", u.Username)
	}
	fmt.Fprintf(&b, "listener %s 127.0.0.1\n", port(m.addr))
	if c := cfg.TLS; c != nil {
		fmt.Fprintf(&b, "listener %s 127.0.0.1\ncertfile %s\nkeyfile %s\n", port(m.tlsAddr), c.CertFile, c.KeyFile)
		if c.CAFile != "" {
			fmt.Fprintf(&b, "cafile %s\n", c.CAFile)
		}
		fmt.Fprintf(&b, "require_certificate %t\n", c.RequireCertificate)
	}
	if cfg.Users != nil {
		pw := filepath.Join(dir, "passwd")
		names := make([]string, 0, len(cfg.Users))
		for u := range cfg.Users {
			names = append(names, u)
		}
		sort.Strings(names)
		var lines strings.Builder
		for _, u := range names {
			fmt.Fprintf(&lines, "%s:%s\n", u, cfg.Users[u])
		}
		if err := os.WriteFile(pw, []byte(lines.String()), 0o600); err != nil {
			return "", err
		}
		if out, err := exec.Command("mosquitto_passwd", "-U", pw).CombinedOutput(); err != nil {
			return "", fmt.Errorf("mosquitto_passwd: %w: %s", err, out)
		}
		fmt.Fprintf(&b, "allow_anonymous false\npassword_file %s\n", pw)
	} else {
		b.WriteString("allow_anonymous true\n")
	}
	if cfg.ACL != "" {
		acl := filepath.Join(dir, "acl")
		if err := os.WriteFile(acl, []byte(cfg.ACL), 0o600); err != nil {
			return "", err
		}
		fmt.Fprintf(&b, "acl_file %s\n", acl)
	}
	if cfg.Persistence {
		fmt.Fprintf(&b, "persistence true\npersistence_location %s/\nautosave_interval 1\n", dir)
	} else {
		b.WriteString("persistence false\n")
	}
	for _, s := range cfg.Settings {
		b.WriteString(s + "\n")
	}
	return b.String(), nil
}

// start runs Mosquitto and waits until its listeners accept connections.
func (m *Mosquitto) start() error {
	cmd := exec.Command(m.path, "-c", m.conf)
	log := &Buffer{}
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		return err
	}
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(exited)
	}()
	m.mu.Lock()
	m.cmd, m.exited, m.log = cmd, exited, log
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

// waitListening dials addr until it accepts, the process exits or startTimeout passes.
func waitListening(addr string, exited <-chan struct{}) error {
	deadline := time.Now().Add(startTimeout)
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			return c.Close()
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s not listening: %w", addr, err)
		}
		select {
		case <-exited:
			return fmt.Errorf("mosquitto exited before listening on %s", addr)
		case <-tick.C:
		}
	}
}

// Addr is the plain TCP listener, "127.0.0.1:port".
func (m *Mosquitto) Addr() string { return m.addr }

// TLSAddr is the TLS listener, or "" when MosquittoConfig.TLS was nil.
func (m *Mosquitto) TLSAddr() string { return m.tlsAddr }

// Log is what Mosquitto has logged so far (errors and warnings).
func (m *Mosquitto) Log() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.log == nil {
		return ""
	}
	return m.log.String()
}

// Stop sends SIGTERM (Mosquitto saves its persistence file on the way out), and SIGKILL if it
// has not exited after a while. Stopping a stopped Mosquitto does nothing.
func (m *Mosquitto) Stop() {
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
	case <-time.After(startTimeout):
		_ = cmd.Process.Kill()
		<-exited
	}
}

// Restart stops Mosquitto and starts it again on the same ports. With
// MosquittoConfig.Persistence, sessions and queued messages survive.
func (m *Mosquitto) Restart(t testing.TB) {
	t.Helper()
	m.Stop()
	if err := m.start(); err != nil {
		t.Fatalf("restart mosquitto: %v\n%s", err, m.Log())
	}
}

// freeAddr returns a loopback address whose port was free a moment ago.
func freeAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func port(addr string) string {
	_, p, _ := net.SplitHostPort(addr)
	return p
}
