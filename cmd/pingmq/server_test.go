package main

import (
	"context"
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/lonelyleaf/surgemq/mqtt"
	"github.com/lonelyleaf/surgemq/pingmq"
)

// startServer starts "pingmq server" on a free loopback port and returns it and its
// tcp:// URL, read from its "listening" log line.
func startServer(t *testing.T, e env, args ...string) (*running, string) {
	t.Helper()
	r := start(t, e, append([]string{"server", "-u", "tcp://127.0.0.1:0"}, args...)...)
	addr := r.stderr.WaitMatch(t, `msg=listening addr=(127\.0\.0\.1:\d+)`)[1]
	return r, "tcp://" + addr
}

// lines splits a client's output into lines, checking it ends with a newline.
func lines(t *testing.T, out string) []string {
	t.Helper()
	require.True(t, strings.HasSuffix(out, "\n"), "output %q", out)
	return strings.Split(strings.TrimSuffix(out, "\n"), "\n")
}

// The 2014 tool's setup, for real: the server pings 127.0.0.1 and an old-style client sees
// the old topics with the old text, and nothing else.
func TestServerOldLayoutRealPing(t *testing.T) {
	needICMP(t)
	srv, url := startServer(t, env{}, "-p", "127.0.0.1", "-i", "2s")

	code, out, errs := runCmd(t, env{}, "client", "-s", url, "-t", "/ping/success/+", "-C", "1")
	require.Equal(t, exitOK, code, errs)
	require.Regexp(t, `^/ping/success/127\.0\.0\.1 \d+ bytes from 127\.0\.0\.1: seq=[123] ttl=\d+ tos=0 time=\d+\.\d\dms\n$`, out)

	// Everything published is in the old layout: no surgemq/... topics, nothing retained.
	code, out, errs = runCmd(t, env{}, "client", "-s", url, "-t", "#", "-C", "3")
	require.Equal(t, exitOK, code, errs)
	for _, l := range lines(t, out) {
		require.True(t, strings.HasPrefix(l, "/ping/success/127.0.0.1 "), "line %q", l)
	}

	require.Equal(t, exitOK, srv.stop(t), srv.stderr)
	require.NotContains(t, srv.stderr.String(), "level=ERROR")
}

// -layout new and both, with a stand-in pinger.
func TestServerLayouts(t *testing.T) {
	e := env{pinger: answering}
	t.Run("new", func(t *testing.T) {
		srv, url := startServer(t, e, "-p", "127.0.0.1", "-layout", "new", "-prefix", "lab/pingmq")
		// The state is retained: a client that subscribes later still gets it.
		code, out, errs := runCmd(t, env{}, "client", "-s", url, "-t", "lab/pingmq/ping/127.0.0.1/state", "-C", "1")
		require.Equal(t, exitOK, code, errs)
		require.Equal(t, "lab/pingmq/ping/127.0.0.1/state online\n", out)

		code, out, errs = runCmd(t, env{}, "client", "-s", url, "-t", "#", "-C", "2")
		require.Equal(t, exitOK, code, errs)
		ls := lines(t, out)
		require.Len(t, ls, 2)
		for _, l := range ls {
			require.True(t, strings.HasPrefix(l, "lab/pingmq/ping/127.0.0.1"), "line %q", l)
		}
		topic, doc, ok := strings.Cut(ls[0], " ")
		if topic != "lab/pingmq/ping/127.0.0.1" {
			topic, doc, ok = strings.Cut(ls[1], " ")
		}
		require.True(t, ok)
		require.Equal(t, "lab/pingmq/ping/127.0.0.1", topic)
		var st pingmq.State
		require.NoError(t, json.Unmarshal([]byte(doc), &st))
		require.Equal(t, "online", st.State)
		require.Equal(t, 3, st.Recv)
		require.Equal(t, "127.0.0.1", st.IP)
		require.Equal(t, exitOK, srv.stop(t))
	})
	t.Run("both", func(t *testing.T) {
		srv, url := startServer(t, e, "-p", "127.0.0.1", "-layout", "both", "-i", "1s")
		code, out, errs := runCmd(t, env{}, "client", "-s", url, "-t", "surgemq/ping/127.0.0.1/state", "-C", "1")
		require.Equal(t, exitOK, code, errs)
		require.Equal(t, "surgemq/ping/127.0.0.1/state online\n", out)
		code, out, errs = runCmd(t, env{}, "client", "-s", url, "-C", "1") // default -t /ping/#
		require.Equal(t, exitOK, code, errs)
		require.Regexp(t, `^/ping/success/127\.0\.0\.1 16 bytes from 127\.0\.0\.1: seq=[123] ttl=64 tos=0 time=0\.10ms\n$`, out)
		require.Equal(t, exitOK, srv.stop(t))
	})
}

// Without an ICMP socket the server logs pingmq's fix once and keeps serving its broker.
func TestServerWithoutICMPKeepsServing(t *testing.T) {
	needNoPingSocket(t)
	srv, url := startServer(t, env{}, "-p", "127.0.0.1", "-mode", "unprivileged")
	srv.stderr.WaitMatch(t, `serving the broker without pinging`)
	logs := srv.stderr.String()
	require.Equal(t, 1, strings.Count(logs, "level=ERROR"), logs)
	require.Contains(t, logs, "ping_group_range")

	// The broker still works.
	ctx, cancel := context.WithTimeout(t.Context(), wait)
	defer cancel()
	c, err := mqtt.Dial(ctx, url, mqtt.Options{ClientID: "probe"})
	require.NoError(t, err)
	require.NoError(t, c.Publish(ctx, "x", []byte("y"), mqtt.QoS1))
	require.NoError(t, c.Disconnect(ctx))

	require.Equal(t, exitOK, srv.stop(t))
}

// The port is taken: exit 1 with the reason.
func TestServerListenFails(t *testing.T) {
	_, addr := startBroker(t)
	code, _, errs := runCmd(t, env{pinger: answering}, "server", "-u", addr, "-p", "127.0.0.1")
	require.Equal(t, exitError, code)
	require.Regexp(t, regexp.MustCompile(`level=ERROR msg="cannot listen".*address already in use`), errs)
}

// The client prints what arrives until interrupted, then exits 0.
func TestClientUntilInterrupted(t *testing.T) {
	_, addr := startBroker(t)
	cl := start(t, env{}, "client", "-s", addr, "-t", "a/+", "-t", "b", "-q", "1")
	ctx, cancel := context.WithTimeout(t.Context(), wait)
	defer cancel()
	c, err := mqtt.Dial(ctx, "tcp://"+addr, mqtt.Options{ClientID: "pub"})
	require.NoError(t, err)
	defer c.Disconnect(context.Background())
	// The client's subscriptions exist once a publish reaches it; retry until one does.
	require.Eventually(t, func() bool {
		_ = c.Publish(ctx, "b", []byte("ready"), mqtt.QoS1) // a failure shows as a timeout
		return strings.Contains(cl.stdout.String(), "b ready\n")
	}, wait, 20*time.Millisecond)
	require.NoError(t, c.Publish(ctx, "a/1", []byte("one two"), mqtt.QoS1))
	require.NoError(t, c.Publish(ctx, "c", []byte("not subscribed"), mqtt.QoS1))
	require.NoError(t, c.Publish(ctx, "b", []byte(""), mqtt.QoS1))
	cl.stdout.WaitMatch(t, "a/1 one two\nb \n$")
	require.Equal(t, exitOK, cl.stop(t))
	require.NotContains(t, cl.stdout.String(), "not subscribed")
}
