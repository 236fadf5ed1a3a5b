//go:build linux

package serial

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	bugst "go.bug.st/serial"

	"github.com/lonelyleaf/surgemq/adapters/serial/serialtest"
	"github.com/lonelyleaf/surgemq/mqtt/mqtttest"

	"github.com/lonelyleaf/surgemq/adapters"
	"github.com/lonelyleaf/surgemq/adapters/adapterstest"
)

const wait = 5 * time.Second

const (
	rxTopic    = "surgemq/serial/dev/rx"
	txTopic    = "surgemq/serial/dev/tx"
	stateTopic = "surgemq/serial/dev/state"
)

func testConfig(path string) Config {
	c := DefaultConfig()
	c.Name = "dev"
	c.Path = path
	c.Baud = 115200
	c.ReconnectMin = adapters.D(10 * time.Millisecond)
	c.ReconnectMax = adapters.D(80 * time.Millisecond)
	return c
}

// start runs a Port for cfg; the cleanup stops it and checks that Run returned nil and left
// the state "offline".
func start(t *testing.T, cfg Config, setup ...func(*Port)) (*Port, *adapterstest.Client) {
	t.Helper()
	p, err := New(cfg, nil)
	require.NoError(t, err)
	for _, f := range setup {
		f(p)
	}
	c := adapterstest.New()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx, c) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			require.NoError(t, err)
		case <-time.After(wait):
			t.Fatal("Run did not return after cancel")
		}
		require.Equal(t, Offline, c.RetainedPayload(stateTopic), "offline after Run")
	})
	return p, c
}

func waitState(t *testing.T, c *adapterstest.Client, want string) {
	t.Helper()
	require.True(t, c.Wait(wait, func() bool { return c.RetainedPayload(stateTopic) == want }),
		"state %q, want %q", c.RetainedPayload(stateTopic), want)
}

func waitRx(t *testing.T, c *adapterstest.Client, n int) []string {
	t.Helper()
	require.True(t, c.Wait(wait, func() bool { return len(c.Topic(rxTopic)) >= n }),
		"want %d rx messages, have %q", n, payloads(c.Topic(rxTopic)))
	return payloads(c.Topic(rxTopic))
}

func payloads(ms []adapters.Message) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = string(m.Payload)
	}
	return out
}

// online starts a Port on a fresh pty and waits until it is online and subscribed.
func online(t *testing.T, mod func(*Config), setup ...func(*Port)) (*serialtest.PTY, *Port, *adapterstest.Client) {
	t.Helper()
	dev := serialtest.OpenPTY(t)
	cfg := testConfig(dev.Path)
	if mod != nil {
		mod(&cfg)
	}
	p, c := start(t, cfg, setup...)
	waitState(t, c, Online)
	require.True(t, c.Subscribed(txTopic))
	return dev, p, c
}

func TestLineRx(t *testing.T) {
	dev, _, c := online(t, nil)
	dev.Write(t, "hello\r\nwor")
	dev.Write(t, "ld\n\r\n\nlast")
	require.Equal(t, []string{"hello", "world"}, waitRx(t, c, 2))
	for _, m := range c.Topic(rxTopic) {
		require.False(t, m.Retain)
		require.Equal(t, byte(0), m.QoS)
	}
	dev.Write(t, " line\n")
	require.Equal(t, []string{"hello", "world", "last line"}, waitRx(t, c, 3), "empty lines are skipped")
	m, ok := c.Retained(stateTopic)
	require.True(t, ok)
	require.Equal(t, byte(1), m.QoS)
}

func TestLineCustomTerminatorKeepCR(t *testing.T) {
	dev, _, c := online(t, func(c *Config) { c.Terminator = "\r\n"; c.StripCR = false })
	dev.Write(t, "a\nb\r\nc\r")
	dev.Write(t, "\n")
	require.Equal(t, []string{"a\nb", "c"}, waitRx(t, c, 2))
}

func TestLineTooLongDropped(t *testing.T) {
	dev, p, c := online(t, func(c *Config) { c.MaxFrame = 8 })
	dev.Write(t, "12345678\n")                 // exactly max_frame: kept
	dev.Write(t, strings.Repeat("x", 20))      // over the limit without terminator
	dev.Write(t, strings.Repeat("y", 20)+"\n") // ...its end
	dev.Write(t, "123456789\n")                // over the limit with terminator
	dev.Write(t, "ok\n")
	require.Equal(t, []string{"12345678", "ok"}, waitRx(t, c, 2))
	// The drops of a read are counted after its frames are published.
	require.True(t, c.Wait(wait, func() bool { return p.Stats().RxDropped == 2 }), "dropped %d", p.Stats().RxDropped)
}

func TestTx(t *testing.T) {
	dev, p, c := online(t, nil)
	c.Inject(txTopic, []byte("AT+GMR"), false)
	require.Equal(t, "AT+GMR\n", dev.Read(t, 7))
	c.Inject(txTopic, []byte(""), false)
	require.Equal(t, "\n", dev.Read(t, 1), "an empty line is a line")
	require.True(t, c.Wait(wait, func() bool { return p.Stats().TxWritten == 2 }))
}

func TestEncodings(t *testing.T) {
	t.Run("hex", func(t *testing.T) {
		dev, p, c := online(t, func(c *Config) { c.Encoding = EncodingHex; c.Framing = FramingFixed; c.FrameSize = 3 })
		dev.Write(t, "\x00\xff\x10")
		require.Equal(t, []string{"00ff10"}, waitRx(t, c, 1))
		c.Inject(txTopic, []byte(" 0A0b\nFF "), false)
		require.Equal(t, "\x0a\x0b\xff", dev.Read(t, 3))
		c.Inject(txTopic, []byte("zz"), false)
		c.Inject(txTopic, []byte("abc"), false)
		require.True(t, c.Wait(wait, c.Idle))
		require.Equal(t, uint64(2), p.Stats().TxDropped)
		dev.Quiet(t, 50*time.Millisecond)
	})
	t.Run("base64", func(t *testing.T) {
		dev, _, c := online(t, func(c *Config) { c.Encoding = EncodingBase64; c.Framing = FramingFixed; c.FrameSize = 4 })
		dev.Write(t, "\x00\x01\x02\xfe")
		require.Equal(t, []string{"AAEC/g=="}, waitRx(t, c, 1))
		c.Inject(txTopic, []byte("AAEC/g=="), false)
		require.Equal(t, "\x00\x01\x02\xfe", dev.Read(t, 4))
		c.Inject(txTopic, []byte("AAEC/g"), false) // unpadded
		require.Equal(t, "\x00\x01\x02\xfe", dev.Read(t, 4))
	})
	t.Run("json", func(t *testing.T) {
		now := time.Date(2026, 1, 2, 3, 4, 5, 600e6, time.UTC)
		dev, _, c := online(t, func(c *Config) { c.Encoding = EncodingJSON },
			func(p *Port) { p.now = func() time.Time { return now } })
		dev.Write(t, "$GPGGA,1\r\n\xff\xfe\n")
		got := waitRx(t, c, 2)
		require.JSONEq(t, `{"data":"$GPGGA,1","ts":"2026-01-02T03:04:05.600Z"}`, got[0])
		require.JSONEq(t, `{"data":"//4=","base64":true,"ts":"2026-01-02T03:04:05.600Z"}`, got[1])
		c.Inject(txTopic, []byte(`{"data":"hi"}`), false)
		require.Equal(t, "hi\n", dev.Read(t, 3))
		c.Inject(txTopic, []byte(`{"data":"AQI=","base64":true}`), false)
		require.Equal(t, "\x01\x02\n", dev.Read(t, 3))
		c.Inject(txTopic, []byte(`{"data":`), false)
		dev.Quiet(t, 50*time.Millisecond)
	})
}

func TestIdleFraming(t *testing.T) {
	dev, _, c := online(t, func(c *Config) {
		c.Framing = FramingIdle
		c.IdleGap = adapters.D(30 * time.Millisecond)
		c.MaxFrame = 4
	})
	dev.Write(t, "ab")
	dev.Write(t, "c")
	require.Equal(t, []string{"abc"}, waitRx(t, c, 1), "one chunk: no gap between the writes")
	dev.Write(t, "defghij")
	require.Equal(t, []string{"abc", "defg", "hij"}, waitRx(t, c, 3), "cut at max_frame, rest after the gap")
	dev.Write(t, "\n\n")
	require.Equal(t, []string{"abc", "defg", "hij", "\n\n"}, waitRx(t, c, 4), "raw bytes, no terminator handling")
}

func TestFixedFraming(t *testing.T) {
	dev, _, c := online(t, func(c *Config) { c.Framing = FramingFixed; c.FrameSize = 4 })
	dev.Write(t, "abcdefghij")
	require.Equal(t, []string{"abcd", "efgh"}, waitRx(t, c, 2))
	dev.Write(t, "kl")
	require.Equal(t, []string{"abcd", "efgh", "ijkl"}, waitRx(t, c, 3))
	c.Inject(txTopic, []byte("raw"), false)
	require.Equal(t, "raw", dev.Read(t, 3), "no terminator outside line framing")
}

// countOpens wraps the real opener to count its calls.
func countOpens(n *atomic.Int64) func(*Port) {
	return func(p *Port) {
		open := p.Open
		p.Open = func(path string, mode *bugst.Mode) (bugst.Port, error) {
			n.Add(1)
			return open(path, mode)
		}
	}
}

// TestUnplugReplug: the device disappears (master closed, by-id link removed), the adapter
// publishes offline and retries with growing delays; a new device appears behind the same
// link and data flows again.
func TestUnplugReplug(t *testing.T) {
	dev := serialtest.OpenPTY(t)
	path := devLink(t, dev.Path)
	var opens atomic.Int64
	_, c := start(t, testConfig(path), countOpens(&opens))
	waitState(t, c, Online)
	dev.Write(t, "before\n")
	require.Equal(t, []string{"before"}, waitRx(t, c, 1))
	require.Equal(t, int64(1), opens.Load())

	require.NoError(t, os.Remove(path))
	dev.Unplug()
	lost := time.Now()
	waitState(t, c, Offline)
	c.Inject(txTopic, []byte("while away"), false) // dropped, not queued for the next device

	// Backoff 10, 20, 40, 80, 80 ms: the 5th attempt after the loss cannot come before 150 ms.
	require.Eventually(t, func() bool { return opens.Load() >= 1+5 }, wait, time.Millisecond)
	require.GreaterOrEqual(t, time.Since(lost), 150*time.Millisecond, "reopen attempts must back off")
	require.Less(t, opens.Load(), int64(1+10), "no spinning")

	dev2 := serialtest.OpenPTY(t)
	link(t, path, dev2.Path)
	waitState(t, c, Online)
	states := payloads(c.Topic(stateTopic))
	require.Equal(t, []string{Online, Offline, Online}, states, "one publish per change")

	dev2.Write(t, "after\n")
	require.Equal(t, []string{"before", "after"}, waitRx(t, c, 2))
	c.Inject(txTopic, []byte("hello"), false)
	require.Equal(t, "hello\n", dev2.Read(t, 6), "the message sent while offline is not replayed")
}

// TestPathGone: the by-id link disappears while the device still answers reads (no I/O
// error); the periodic path check notices.
func TestPathGone(t *testing.T) {
	dev := serialtest.OpenPTY(t)
	path := devLink(t, dev.Path)
	_, c := start(t, testConfig(path), func(p *Port) { p.pollEvery = 20 * time.Millisecond })
	waitState(t, c, Online)
	require.NoError(t, os.Remove(path))
	waitState(t, c, Offline)
	// Re-pointing the link at the same device brings it back.
	link(t, path, dev.Path)
	waitState(t, c, Online)
	dev.Write(t, "x\n")
	require.Equal(t, []string{"x"}, waitRx(t, c, 1))
}

// TestMissingAtStart: the device is not there when Run starts: offline once, then online when
// it appears.
func TestMissingAtStart(t *testing.T) {
	path := devLink(t, "/nonexistent-serial-device")
	var opens atomic.Int64
	_, c := start(t, testConfig(path), countOpens(&opens))
	waitState(t, c, Offline)
	require.Eventually(t, func() bool { return opens.Load() >= 4 }, wait, time.Millisecond)
	dev := serialtest.OpenPTY(t)
	link(t, path, dev.Path)
	waitState(t, c, Online)
	require.Equal(t, []string{Offline, Online}, payloads(c.Topic(stateTopic)))
}

func TestStopWhileMissing(t *testing.T) {
	cfg := testConfig(devLink(t, "/nonexistent-serial-device"))
	cfg.ReconnectMin = adapters.D(time.Hour) // Run is asleep in its backoff
	cfg.ReconnectMax = adapters.D(time.Hour)
	_, c := start(t, cfg)
	waitState(t, c, Offline)
	// The cleanup cancels: Run must return promptly, not after an hour.
}

func TestRunTwice(t *testing.T) {
	_, p, c := online(t, nil)
	require.ErrorIs(t, p.Run(t.Context(), c), ErrRunning)
}

// TestWriteErrorEndsSession: a device whose writes fail is treated as lost.
func TestWriteErrorEndsSession(t *testing.T) {
	dev := serialtest.OpenPTY(t)
	var opens atomic.Int64
	_, c := start(t, testConfig(dev.Path), countOpens(&opens), func(p *Port) {
		open := p.Open
		p.Open = func(path string, mode *bugst.Mode) (bugst.Port, error) {
			port, err := open(path, mode)
			if err != nil {
				return nil, err
			}
			return failingWrites{port}, nil
		}
	})
	waitState(t, c, Online)
	c.Inject(txTopic, []byte("x"), false)
	require.True(t, c.Wait(wait, func() bool { return len(c.Topic(stateTopic)) >= 2 }))
	require.Equal(t, []string{Online, Offline}, payloads(c.Topic(stateTopic))[:2])
	waitState(t, c, Online) // and reopened
}

type failingWrites struct{ bugst.Port }

func (failingWrites) Write([]byte) (int, error) { return 0, os.ErrInvalid }

func TestJSONFrameDecode(t *testing.T) {
	var f Frame
	require.NoError(t, json.Unmarshal(encodeRx(EncodingJSON, []byte("a\"b"), time.Unix(0, 0)), &f))
	require.Equal(t, Frame{Data: "a\"b", TS: "1970-01-01T00:00:00.000Z"}, f)
}

// A state the broker did not take (the publish failed) is published again while the device is
// quiet, not only at the next change.
func TestStateRetriedAfterPublishFailure(t *testing.T) {
	dev := serialtest.OpenPTY(t)
	logs := &mqtttest.Buffer{}
	p, err := New(testConfig(dev.Path), slog.New(slog.NewTextHandler(logs, nil)))
	require.NoError(t, err)
	p.pollEvery = 20 * time.Millisecond
	c := adapterstest.New()
	c.SetPublishError(errors.New("broker away"))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx, c) }()
	defer func() {
		cancel()
		require.NoError(t, <-done)
	}()

	logs.WaitMatch(t, `publish state failed; retrying".* state=online`)
	c.SetPublishError(nil)
	waitState(t, c, Online)
}
