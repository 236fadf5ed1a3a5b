//go:build linux

package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"golang.org/x/net/icmp"

	"github.com/lonelyleaf/surgemq/adapters/serial/serialtest"
	"github.com/lonelyleaf/surgemq/pingmq/pingtest"

	"github.com/lonelyleaf/surgemq/pingmq"
)

// silentHost is a TEST-NET-1 address (RFC 5737) that does not answer: it lives in a network
// namespace the test creates, which ignores echo requests, or, where no namespace can be made,
// the lab pinger reports it silent without sending anything.
const silentHost = "192.0.2.1"

// icmpMode reports which ICMP socket this process may open: "privileged", "unprivileged"
// or "" for none.
func icmpMode() string {
	for _, m := range []struct{ network, mode string }{{"ip4:icmp", "privileged"}, {"udp4", "unprivileged"}} {
		if c, err := icmp.ListenPacket(m.network, "127.0.0.1"); err == nil {
			c.Close()
			return m.mode
		}
	}
	return ""
}

// labPinger pings 127.0.0.1 for real where ICMP is permitted (else it stands in for it), and
// silentHost for real inside a network namespace where one can be made (else it reports it
// silent); any other host fails the test.
func labPinger(t *testing.T) pingmq.Pinger {
	var real pingmq.Pinger
	switch icmpMode() {
	case "privileged":
		real = pingmq.NewICMPPinger(true, 10*time.Millisecond, nil)
	case "unprivileged":
		real = pingmq.NewICMPPinger(false, 10*time.Millisecond, nil)
	default:
		t.Log("no ICMP socket permitted: 127.0.0.1 answers through a stand-in")
	}
	stand := newFakeNet("127.0.0.1")
	silent := func(_ context.Context, host string, count int, _ time.Duration) (pingmq.Stats, error) {
		return pingmq.Stats{Addr: host, Sent: count}, nil
	}
	if ns, err := pingtest.OpenNetns(t); err != nil || real == nil {
		t.Logf("%s is silent through a stand-in (network namespace: %v)", silentHost, err)
	} else {
		ns.Run(t, "ip", "addr", "add", silentHost+"/32", "dev", "lo")
		ns.Run(t, "sysctl", "-qw", "net.ipv4.icmp_echo_ignore_all=1")
		silent = func(ctx context.Context, host string, count int, timeout time.Duration) (pingmq.Stats, error) {
			if err := ns.Enter(); err != nil { // this goroutine is the monitor's, for one check
				return pingmq.Stats{}, err
			}
			return real(ctx, host, count, timeout)
		}
	}
	return func(ctx context.Context, host string, count int, timeout time.Duration) (pingmq.Stats, error) {
		switch host {
		case "127.0.0.1":
			if real != nil {
				return real(ctx, host, count, timeout)
			}
			return stand.ping(ctx, host, count, timeout)
		case silentHost:
			return silent(ctx, host, count, timeout)
		}
		t.Errorf("pinged %s, which is not in the lab", host)
		return pingmq.Stats{}, errors.New("not in the lab")
	}
}

// TestEndToEnd: the gateway started from a TOML file, with a serial device (a pty) and a
// ping monitor; "the laptop", a paho client subscribed to surgemq/#, sees the gateway's
// status, both hosts' state and the device's lines, and its publish reaches the device.
func TestEndToEnd(t *testing.T) {
	dev := serialtest.OpenPTY(t)
	path := filepath.Join(t.TempDir(), "surgemq.toml")
	require.NoError(t, os.WriteFile(path, []byte(fmt.Sprintf(`
prefix = "surgemq"

[broker]
  listeners = ["127.0.0.1:0"]
  sys_interval = "0s"

[log]
  level = "debug"

[[ping]]
  targets = ["127.0.0.1", %q]
  interval = "1s"
  count = 2
  ping_interval = "20ms"
  timeout = "1s"

[[serial]]
  name = "bench-meter"
  path = %q
  baud = 115200
`, silentHost, dev.Path)), 0o600))

	cfg, err := Load(path)
	require.NoError(t, err)
	g := startGateway(t, cfg, WithRegistry(pingerRegistry(labPinger(t))))
	l := connectLaptop(t, g.addr, "laptop", "surgemq/#")

	l.waitFor(t, "surgemq/status", "online")
	l.waitFor(t, "surgemq/ping/127.0.0.1/state", "online")
	l.waitFor(t, "surgemq/ping/"+silentHost+"/state", "offline")
	doc, _ := l.get("surgemq/ping/127.0.0.1")
	var st struct {
		State string `json:"state"`
		Recv  int    `json:"recv"`
	}
	require.NoError(t, json.Unmarshal([]byte(doc), &st), doc)
	require.Equal(t, "online", st.State)
	require.Positive(t, st.Recv)
	doc, _ = l.get("surgemq/ping/" + silentHost)
	var silent struct {
		State string `json:"state"`
		Sent  int    `json:"sent"`
		Recv  int    `json:"recv"`
	}
	require.NoError(t, json.Unmarshal([]byte(doc), &silent), doc)
	require.Equal(t, "offline", silent.State)
	require.Equal(t, 2, silent.Sent, "echo requests went out (to nobody who answers): %s", doc)
	require.Zero(t, silent.Recv)

	l.waitFor(t, "surgemq/serial/bench-meter/state", "online")
	dev.Write(t, "V=12.61\r\nA=0.25\r\n")
	l.waitFor(t, "surgemq/serial/bench-meter/rx", "A=0.25")
	l.mu.Lock()
	require.Contains(t, l.seq, "surgemq/serial/bench-meter/rx V=12.61")
	l.mu.Unlock()
	l.publish(t, "surgemq/serial/bench-meter/tx", "OUT ON")
	require.Equal(t, "OUT ON\n", dev.Read(t, len("OUT ON\n")))

	// Clean shutdown: the adapters first (the device goes offline), then the gateway.
	require.NoError(t, g.stop())
	l.waitFor(t, "surgemq/status", "offline")
	l.mu.Lock()
	defer l.mu.Unlock()
	serialOff := indexOf(l.seq, "surgemq/serial/bench-meter/state offline")
	statusOff := indexOf(l.seq, "surgemq/status offline")
	require.True(t, serialOff >= 0 && serialOff < statusOff, "adapters stop before the gateway goes offline: %q", l.seq)
}

func indexOf(s []string, v string) int {
	for i, x := range s {
		if x == v {
			return i
		}
	}
	return -1
}

// TestDefaultConfigPingsLocalhost runs Default() as "surgemq serve" does without a file, with
// the real ICMP pinger: 127.0.0.1 is online where ICMP is permitted.
func TestDefaultConfigPingsLocalhost(t *testing.T) {
	if icmpMode() == "" {
		t.Skip("no ICMP socket permitted here; TestNoICMPKeepsBrokerRunning covers that case")
	}
	cfg := Default()
	cfg.Broker.Listeners = []string{"127.0.0.1:0"}
	g := startGateway(t, cfg)
	l := connectLaptop(t, g.addr, "laptop", "surgemq/#")
	l.waitFor(t, "surgemq/status", "online")
	l.waitFor(t, "surgemq/ping/127.0.0.1/state", "online")
}

// TestNoICMPKeepsBrokerRunning: a ping monitor that may not open its ICMP socket logs one
// clear line, is not restarted in a loop, and the broker serves on.
func TestNoICMPKeepsBrokerRunning(t *testing.T) {
	if c, err := icmp.ListenPacket("udp4", "127.0.0.1"); err == nil {
		c.Close()
		t.Skip("ping sockets are permitted here (net.ipv4.ping_group_range)")
	}
	cfg := Default()
	cfg.Broker.Listeners = []string{"127.0.0.1:0"}
	cfg.Ping[0].Mode = pingmq.ModeUnprivileged
	g := startGateway(t, cfg, WithBackoff(func(int) time.Duration { return time.Millisecond }))
	l := connectLaptop(t, g.addr, "laptop", "surgemq/#")
	l.waitFor(t, "surgemq/status", "online")

	g.mu.Lock()
	in := g.instances[0]
	g.mu.Unlock()
	select {
	case <-in.done:
	case <-time.After(wait):
		t.Fatal("the monitor neither failed nor stopped")
	}
	require.Equal(t, int64(1), in.runs.Load(), "not restarted")
	var errLines []string
	for line := range strings.Lines(g.log.String()) {
		if strings.Contains(line, "level=ERROR") || strings.Contains(line, "level=WARN") {
			errLines = append(errLines, line)
		}
	}
	require.Len(t, errLines, 1, "one clear line")
	require.Contains(t, errLines[0], "pingmq: cannot open an ICMP socket")
	require.Contains(t, errLines[0], "ping_group_range")

	l.publish(t, "surgemq/hello", "broker still up")
	l.waitFor(t, "surgemq/hello", "broker still up")
	l.connected(t)
}
