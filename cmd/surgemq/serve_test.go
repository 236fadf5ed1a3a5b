package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
	"github.com/stretchr/testify/require"

	"github.com/lonelyleaf/surgemq/gateway"
	"github.com/lonelyleaf/surgemq/mqtt/mqtttest"
)

func writeServeConfig(t *testing.T, dir, doc string) string {
	t.Helper()
	path := filepath.Join(dir, "surgemq.toml")
	require.NoError(t, os.WriteFile(path, []byte(doc), 0o600))
	return path
}

func TestCheckConfig(t *testing.T) {
	dir := t.TempDir()
	check := func(args ...string) (int, string, string) {
		var out, errw bytes.Buffer
		code := runCheckConfig(context.Background(), args, &out, &errw)
		return code, out.String(), errw.String()
	}
	for _, f := range []string{"../../configs/surgemq.toml", "../../configs/raspberrypi.toml"} {
		code, out, errs := check("-c", f)
		require.Equal(t, 0, code, errs)
		require.Equal(t, f+": ok\n", out)
	}

	bad := writeServeConfig(t, dir, "[broker]\nmax_inflight = 0\n\n[[ping]]\ntargets = [\"127.0.0.1\"]\ncount = \"3\"\n")
	code, out, errs := check("-c", bad)
	require.Equal(t, 1, code)
	require.Empty(t, out)
	require.Equal(t, bad+":6: ping[0].count: want an integer, got \"3\"\n", errs)

	bad = writeServeConfig(t, dir, "[broker]\nmax_inflight = 0\n[log]\nformat = \"xml\"\n")
	code, _, errs = check("-c", bad)
	require.Equal(t, 1, code)
	require.Equal(t, bad+":2: broker.max_inflight: 0 is not within 1-65535\n"+bad+":4: log.format: \"xml\" is not text or json\n", errs)

	code, _, errs = check("-c", filepath.Join(dir, "none.toml"))
	require.Equal(t, 1, code)
	require.Contains(t, errs, "none.toml: no such file or directory")

	code, _, errs = check()
	require.Equal(t, 2, code)
	require.Contains(t, errs, "usage: surgemq check-config -c FILE")
	code, _, _ = check("-c", bad, "extra")
	require.Equal(t, 2, code)
}

func TestServeFlagsOverrideTheFile(t *testing.T) {
	// Without a file: the defaults, with a ping monitor of 127.0.0.1.
	f := &serveFlags{set: map[string]bool{}}
	cfg, err := f.config()
	require.NoError(t, err)
	require.Equal(t, gateway.Default(), cfg)

	path := writeServeConfig(t, t.TempDir(), "[broker]\nlisteners = [\"0.0.0.0:1884\"]\nsys_interval = \"1m\"\n[log]\nlevel = \"warn\"\n")
	f = &serveFlags{file: path, set: map[string]bool{}}
	cfg, err = f.config()
	require.NoError(t, err)
	require.Equal(t, []string{"0.0.0.0:1884"}, cfg.Broker.Listeners)
	require.Equal(t, time.Minute, cfg.Broker.SysInterval.Duration)
	require.Equal(t, "warn", cfg.Log.Level)
	require.Empty(t, cfg.Ping, "a file runs only the adapters it configures")

	f = &serveFlags{file: path, listens: listFlag{"127.0.0.1:0", "[::1]:0"}, sysInterval: 0, logLevel: "debug",
		dataDir: "state", set: map[string]bool{"listen": true, "sys-interval": true, "log-level": true, "data-dir": true}}
	cfg, err = f.config()
	require.NoError(t, err)
	require.Equal(t, []string{"127.0.0.1:0", "[::1]:0"}, cfg.Broker.Listeners)
	require.Zero(t, cfg.Broker.SysInterval.Duration)
	require.Equal(t, "debug", cfg.Log.Level)
	require.Equal(t, gateway.PersistenceConfig{Mode: "disk", Path: "state", Fsync: "always", FsyncInterval: cfg.Persistence.FsyncInterval}, cfg.Persistence)

	f.logLevel = "chatty"
	_, err = f.config()
	require.EqualError(t, err, `log.level: "chatty" is not debug, info, warn or error`)
	f.logLevel, f.sysInterval = "info", -time.Second
	_, err = f.config()
	require.EqualError(t, err, "-sys-interval -1s is negative")

	var errw bytes.Buffer
	require.Equal(t, 2, runServe(context.Background(), []string{"-nope"}, &errw, &errw))
	require.Equal(t, 1, runServe(context.Background(), []string{"-c", filepath.Join(t.TempDir(), "none.toml")}, &errw, &errw))
}

// TestServeReloadsOnSIGHUP runs "surgemq serve -c FILE -data-dir DIR", connects a client,
// adds a [[ping]] table to the file and sends SIGHUP: the monitor starts, the client stays.
func TestServeReloadsOnSIGHUP(t *testing.T) {
	dir := t.TempDir()
	path := writeServeConfig(t, dir, "[broker]\nlisteners = [\"127.0.0.1:0\"]\n")
	logs := &mqtttest.Buffer{}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan int, 1)
	go func() {
		done <- runServe(ctx, []string{"-c", path, "-data-dir", filepath.Join(dir, "data"), "-sys-interval", "0", "-log-level", "debug"}, logs, logs)
	}()
	addr := logs.WaitMatch(t, `msg=listening addr=(127\.0\.0\.1:\d+)`)[1]
	require.Contains(t, logs.String(), "persistence: restored")

	lost := make(chan error, 1)
	statuses := make(chan string, 4)
	o := paho.NewClientOptions().AddBroker("tcp://" + addr).SetClientID("laptop").SetAutoReconnect(false).
		SetConnectionLostHandler(func(_ paho.Client, err error) { lost <- err })
	c := paho.NewClient(o)
	tok := c.Connect()
	require.True(t, tok.WaitTimeout(10*time.Second))
	require.NoError(t, tok.Error())
	defer c.Disconnect(100)
	tok = c.Subscribe("surgemq/status", 1, func(_ paho.Client, m paho.Message) { statuses <- string(m.Payload()) })
	require.True(t, tok.WaitTimeout(10*time.Second))
	require.Equal(t, "online", <-statuses)

	writeServeConfig(t, dir, "[broker]\nlisteners = [\"127.0.0.1:0\"]\n\n[[ping]]\ntargets = [\"127.0.0.1\"]\n")
	require.NoError(t, syscall.Kill(os.Getpid(), syscall.SIGHUP))
	logs.WaitMatch(t, `msg=reloaded adapters=1 started=1 stopped=0`)

	// A broken file is refused and the running configuration kept.
	writeServeConfig(t, dir, "[broker]\nlisteners = [\"127.0.0.1:0\"]\nbogus = 1\n")
	require.NoError(t, syscall.Kill(os.Getpid(), syscall.SIGHUP))
	logs.WaitMatch(t, `reload failed; the running configuration is unchanged" error=".*surgemq.toml:3: broker.bogus: unknown key`)

	select {
	case err := <-lost:
		t.Fatalf("connection lost during reload: %v", err)
	default:
	}
	cancel()
	select {
	case code := <-done:
		require.Equal(t, 0, code, logs.String())
	case <-time.After(20 * time.Second):
		t.Fatal("serve did not stop")
	}
	require.Equal(t, "offline", <-statuses)
	require.True(t, strings.Contains(logs.String(), "shutting down"))
}
