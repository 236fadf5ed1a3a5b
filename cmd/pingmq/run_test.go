package main

import (
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestUsageAndExitCodes(t *testing.T) {
	for _, tc := range []struct {
		args     []string
		code     int
		out, err string // substrings of stdout and stderr
	}{
		{args: nil, code: exitUsage, err: "usage:"},
		{args: []string{"bogus"}, code: exitUsage, err: `unknown command "bogus"`},
		{args: []string{"help"}, code: exitOK, out: "ICMP permissions"},
		{args: []string{"-h"}, code: exitOK, out: "pingmq monitor"},
		{args: []string{"version"}, code: exitOK, out: "pingmq dev\n"},
		{args: []string{"server", "-h"}, code: exitOK, err: "-layout"},
		{args: []string{"client", "-h"}, code: exitOK, err: "-C"},
		{args: []string{"monitor", "-h"}, code: exitOK, err: "-homeassistant"},
		{args: []string{"server"}, code: exitUsage, err: "no targets"},
		{args: []string{"server", "-p", "127.0.0.1", "-nope"}, code: exitUsage, err: "flag provided but not defined: -nope"},
		{args: []string{"server", "-p", "127.0.0.1", "extra"}, code: exitUsage, err: `unexpected argument "extra"`},
		{args: []string{"server", "-p", "127.0.0.1", "-i", "0"}, code: exitUsage, err: "not within 1-86400"},
		{args: []string{"server", "-p", "127.0.0.1", "-i", "soon"}, code: exitUsage, err: "a duration"},
		{args: []string{"server", "-p", "127.0.0.1", "-layout", "sideways"}, code: exitUsage, err: `-layout "sideways"`},
		{args: []string{"server", "-p", "127.0.0.1", "-u", "http://x:1"}, code: exitUsage, err: `scheme "http"`},
		{args: []string{"server", "-p", "127.0.0.1", "-u", "nocolon"}, code: exitUsage, err: "missing port"},
		{args: []string{"server", "-p", "10.0.0.0/8"}, code: exitUsage, err: "too many hosts"},
		{args: []string{"server", "-p", "not_a_host!"}, code: exitUsage, err: "invalid target"},
		{args: []string{"server", "-p", "127.0.0.1,127.0.0.1"}, code: exitUsage, err: "duplicate target"},
		{args: []string{"server", "-p", "127.0.0.1", "-mode", "magic"}, code: exitUsage, err: "mode"},
		{args: []string{"server", "-p", "127.0.0.1", "-prefix", "/bad"}, code: exitUsage, err: "prefix"},
		{args: []string{"server", "-p", "127.0.0.1", "-log-level", "loud"}, code: exitUsage, err: "-log-level"},
		{args: []string{"client", "-t", "a/#/b"}, code: exitUsage, err: `-t "a/#/b"`},
		{args: []string{"client", "-q", "3"}, code: exitUsage, err: "-q 3"},
		{args: []string{"client", "-C", "-1"}, code: exitUsage, err: "-C -1"},
		{args: []string{"client", "-P", "secret"}, code: exitUsage, err: "-P needs -u"},
		{args: []string{"client", "-s", "gopher://x"}, code: exitUsage, err: "-s:"},
		{args: []string{"monitor", "-p", "127.0.0.1", "-P", "secret"}, code: exitUsage, err: "-P needs -u"},
		{args: []string{"monitor", "-p", "127.0.0.1", "-b", "gopher://x"}, code: exitUsage, err: "-b:"},
		{args: []string{"monitor"}, code: exitUsage, err: "no targets"},
	} {
		code, out, errs := runCmd(t, env{}, tc.args...)
		require.Equal(t, tc.code, code, "%v: stderr:\n%s", tc.args, errs)
		require.Contains(t, out, tc.out, "%v", tc.args)
		require.Contains(t, errs, tc.err, "%v", tc.args)
	}
}

func TestIntervalFlag(t *testing.T) {
	for in, want := range map[string]time.Duration{
		"60": time.Minute, "1": time.Second, "30s": 30 * time.Second, "1m30s": 90 * time.Second,
		"250ms": 250 * time.Millisecond, "86400": 24 * time.Hour,
	} {
		var i intervalFlag
		require.NoError(t, i.Set(in), in)
		require.Equal(t, want, time.Duration(i), in)
	}
	for _, in := range []string{"0", "-5", "86401", "0s", "-1s", "", "1x", "sixty"} {
		var i intervalFlag
		require.Error(t, i.Set(in), in)
	}
}

func TestTargetsFlag(t *testing.T) {
	var p targetsFlag
	require.NoError(t, p.Set("10.0.0.0/28, router.lan"))
	require.NoError(t, p.Set("10.1.1.1-10,,"))
	require.Equal(t, targetsFlag{"10.0.0.0/28", "router.lan", "10.1.1.1-10"}, p)
}

func TestListenAddr(t *testing.T) {
	for in, want := range map[string]string{
		"tcp://:5836":         ":5836",
		"tcp://127.0.0.1:0":   "127.0.0.1:0",
		"mqtt://127.0.0.1":    "127.0.0.1:1883",
		"tcp://[::1]:1883":    "[::1]:1883",
		"127.0.0.1:5836":      "127.0.0.1:5836",
		":5836":               ":5836",
		"tcp://127.0.0.1:0/":  "127.0.0.1:0",
		"tcp://localhost:123": "localhost:123",
	} {
		got, err := listenAddr(in)
		require.NoError(t, err, in)
		require.Equal(t, want, got, in)
		_, _, err = net.SplitHostPort(got)
		require.NoError(t, err, in)
	}
	for _, in := range []string{"", "5836", "ws://x:1", "tcp://", "tcp://h:1/path", "tcp://u@h:1", "tcp://h:1?x=1", "tcp://%zz"} {
		_, err := listenAddr(in)
		require.Error(t, err, in)
	}
}

// A client that cannot reach its broker exits 1 with the reason.
func TestClientConnectFails(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close()) // nothing listens there now
	code, _, errs := runCmd(t, env{}, "client", "-s", "tcp://"+addr)
	require.Equal(t, exitError, code)
	require.Contains(t, errs, "connect tcp://"+addr)
	require.Contains(t, errs, "refused")
}
