package gateway

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// systemd is a fake service manager: the datagram socket systemd passes in NOTIFY_SOCKET.
type systemd struct {
	conn *net.UnixConn
	name string
}

func listenNotify(t *testing.T, name string) *systemd {
	t.Helper()
	c, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: name, Net: "unixgram"})
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	return &systemd{conn: c, name: name}
}

// next returns the next notification.
func (s *systemd) next(t *testing.T) string {
	t.Helper()
	require.NoError(t, s.conn.SetReadDeadline(time.Now().Add(wait)))
	buf := make([]byte, 4096)
	n, err := s.conn.Read(buf)
	require.NoError(t, err, "no notification")
	return string(buf[:n])
}

// until returns the notifications up to and including the first that starts with prefix.
func (s *systemd) until(t *testing.T, prefix string) []string {
	t.Helper()
	var got []string
	for {
		m := s.next(t)
		got = append(got, m)
		if strings.HasPrefix(m, prefix) {
			return got
		}
	}
}

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestNotifierFromEnv(t *testing.T) {
	n, err := notifierFromEnv(env(nil))
	require.NoError(t, err)
	require.Nil(t, n, "not under systemd")
	require.NoError(t, n.send("READY=1"), "a nil notifier does nothing")
	n.watch(context.Background(), func(error) { t.Fatal("no watchdog") }) // returns at once

	_, err = notifierFromEnv(env(map[string]string{"NOTIFY_SOCKET": "relative/path"}))
	require.ErrorContains(t, err, "NOTIFY_SOCKET")
	_, err = notifierFromEnv(env(map[string]string{"NOTIFY_SOCKET": "/run/x", "WATCHDOG_USEC": "soon"}))
	require.ErrorContains(t, err, "WATCHDOG_USEC")

	pid := strconv.Itoa(os.Getpid())
	for _, tc := range []struct {
		usec, pid string
		want      time.Duration
	}{
		{"", "", 0},
		{"2000000", "", time.Second},
		{"2000000", pid, time.Second},
		{"2000000", "1", 0}, // meant for another process
	} {
		n, err := notifierFromEnv(env(map[string]string{"NOTIFY_SOCKET": "/run/systemd/notify", "WATCHDOG_USEC": tc.usec, "WATCHDOG_PID": tc.pid}))
		require.NoError(t, err)
		require.Equal(t, "/run/systemd/notify", n.addr.Name)
		require.Equal(t, tc.want, n.watchdog, "WATCHDOG_USEC=%s WATCHDOG_PID=%s", tc.usec, tc.pid)
	}
}

func TestNotifySend(t *testing.T) {
	sd := listenNotify(t, filepath.Join(t.TempDir(), "notify"))
	n, err := notifierFromEnv(env(map[string]string{"NOTIFY_SOCKET": sd.name}))
	require.NoError(t, err)
	require.NoError(t, n.send("READY=1\nSTATUS=serving"))
	require.Equal(t, "READY=1\nSTATUS=serving", sd.next(t))

	r := reloading()
	if runtime.GOOS == "linux" {
		require.Regexp(t, `^RELOADING=1\nMONOTONIC_USEC=[1-9][0-9]*$`, r)
	}

	sd.conn.Close()
	require.Error(t, n.send("READY=1"), "no one listening")
}

func TestNotifyAbstractSocket(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("abstract unix sockets are Linux only")
	}
	name := fmt.Sprintf("@surgemq-test-%d-%d", os.Getpid(), time.Now().UnixNano())
	sd := listenNotify(t, name)
	n, err := notifierFromEnv(env(map[string]string{"NOTIFY_SOCKET": name}))
	require.NoError(t, err)
	require.NoError(t, n.send("STOPPING=1"))
	require.Equal(t, "STOPPING=1", sd.next(t))
}

// TestGatewayTalksToSystemd: READY=1 once listening, WATCHDOG=1 every WATCHDOG_USEC/2,
// RELOADING=1 then READY=1 around a reload, STOPPING=1 on shutdown.
func TestGatewayTalksToSystemd(t *testing.T) {
	sd := listenNotify(t, filepath.Join(t.TempDir(), "notify"))
	getenv := env(map[string]string{"NOTIFY_SOCKET": sd.name, "WATCHDOG_USEC": "40000"}) // ping every 20ms
	g := startGateway(t, localConfig(), WithGetenv(getenv))

	ready := sd.next(t)
	require.True(t, strings.HasPrefix(ready, "READY=1\nSTATUS=serving on "+g.addr), ready)
	require.Equal(t, "WATCHDOG=1", sd.next(t))
	require.Equal(t, "WATCHDOG=1", sd.next(t))

	require.NoError(t, g.Reload(localConfig()))
	got := sd.until(t, "RELOADING=1")
	require.NotContains(t, got[:len(got)-1], "READY=1")
	after := sd.until(t, "READY=1")
	for _, m := range after[:len(after)-1] {
		require.Equal(t, "WATCHDOG=1", m)
	}

	require.NoError(t, g.stop())
	got = sd.until(t, "STOPPING=1")
	for _, m := range got[:len(got)-1] {
		require.Equal(t, "WATCHDOG=1", m)
	}
}
