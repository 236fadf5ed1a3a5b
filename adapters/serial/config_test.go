package serial

import (
	"reflect"
	"regexp"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	bugst "go.bug.st/serial"

	"github.com/lonelyleaf/surgemq/adapters"
	"github.com/lonelyleaf/surgemq/adapters/adapterstest"
)

type file struct {
	Serial []Config `toml:"serial"`
}

func decodeStrict(doc string) (file, error) { return adapterstest.DecodeStrict[file](doc) }

// TestSampleConfig: every key appears in the sample, and the sample with its comments removed
// decodes to DefaultConfig plus the example name and path.
func TestSampleConfig(t *testing.T) {
	sample := SampleConfig()
	_, err := decodeStrict(sample)
	require.NoError(t, err)
	for field := range reflect.TypeFor[Config]().Fields() {
		key := field.Tag.Get("toml")
		require.NotEmpty(t, key, field.Name)
		require.Regexp(t, `(?m)^\s*(#\s+)?`+key+` = `, sample, "key %s missing from SampleConfig", key)
	}
	active := regexp.MustCompile(`(?m)^(\s*)#\s+([a-z_]+ = .*)$`).ReplaceAllString(sample, "$1$2")
	f, err := decodeStrict(active)
	require.NoError(t, err, active)
	require.Len(t, f.Serial, 1)
	want := DefaultConfig()
	want.Name, want.Path = "gps", "/dev/serial/by-id/usb-example-if00-port0"
	require.Equal(t, want, f.Serial[0])
	require.NoError(t, f.Serial[0].Validate(), "the sample is a valid config")
}

func TestConfigTOML(t *testing.T) {
	f, err := decodeStrict(`
[[serial]]
name = "meter"
path = "/dev/ttyUSB0"
baud = 2400
data_bits = 7
parity = "even"
stop_bits = 2
framing = "idle"
idle_gap = "20ms"
encoding = "hex"
[[serial]]
name = "modem"
path = "/dev/ttyACM0"
terminator = "\r\n"
`)
	require.NoError(t, err)
	require.Len(t, f.Serial, 2)
	require.Equal(t, 20*time.Millisecond, f.Serial[0].IdleGap.Duration)
	require.Equal(t, 2.0, f.Serial[0].StopBits)
	require.Equal(t, "\r\n", f.Serial[1].Terminator)

	_, err = decodeStrict("[[serial]]\nbaudrate = 9600\n")
	require.Error(t, err, "unknown key")
	_, err = decodeStrict("[[serial]]\nidle_gap = 50\n")
	require.Error(t, err, "bare integer duration")
}

func TestModeMapping(t *testing.T) {
	c := DefaultConfig()
	c.Name, c.Path = "x", "/dev/null"
	for _, tc := range []struct {
		parity   string
		stop     float64
		want     bugst.Parity
		wantStop bugst.StopBits
	}{
		{"none", 1, bugst.NoParity, bugst.OneStopBit},
		{"Odd", 2, bugst.OddParity, bugst.TwoStopBits},
		{"even", 1, bugst.EvenParity, bugst.OneStopBit},
		{"mark", 1, bugst.MarkParity, bugst.OneStopBit},
		{"space", 1, bugst.SpaceParity, bugst.OneStopBit},
		{"n", 1, bugst.NoParity, bugst.OneStopBit},
	} {
		c.Parity, c.StopBits = tc.parity, tc.stop
		m, err := c.mode()
		require.NoError(t, err, tc.parity)
		require.Equal(t, &bugst.Mode{BaudRate: 9600, DataBits: 8, Parity: tc.want, StopBits: tc.wantStop}, m)
	}
}

func TestValidate(t *testing.T) {
	ok := DefaultConfig()
	ok.Name, ok.Path = "gps", "/dev/ttyUSB0"
	require.NoError(t, ok.Validate())

	cases := []struct {
		name string
		mod  func(*Config)
		key  string
	}{
		{"no name", func(c *Config) { c.Name = "" }, "name"},
		{"name slash", func(c *Config) { c.Name = "a/b" }, "name"},
		{"name wildcard", func(c *Config) { c.Name = "a+" }, "name"},
		{"no path", func(c *Config) { c.Path = "" }, "path"},
		{"prefix", func(c *Config) { c.Prefix = "/x" }, "prefix"},
		{"baud", func(c *Config) { c.Baud = 0 }, "baud"},
		{"data bits", func(c *Config) { c.DataBits = 9 }, "data_bits"},
		{"parity", func(c *Config) { c.Parity = "weird" }, "parity"},
		{"stop bits", func(c *Config) { c.StopBits = 3 }, "stop_bits"},
		{"framing", func(c *Config) { c.Framing = "slip" }, "framing"},
		{"terminator", func(c *Config) { c.Terminator = "" }, "terminator"},
		{"fixed size", func(c *Config) { c.Framing = FramingFixed }, "frame_size"},
		{"fixed size > max", func(c *Config) { c.Framing = FramingFixed; c.FrameSize = 10; c.MaxFrame = 5 }, "frame_size"},
		{"idle gap", func(c *Config) { c.Framing = FramingIdle; c.IdleGap = adapters.D(0) }, "idle_gap"},
		{"max frame", func(c *Config) { c.MaxFrame = 0 }, "max_frame"},
		{"max frame big", func(c *Config) { c.MaxFrame = MaxFrameLimit + 1 }, "max_frame"},
		{"encoding", func(c *Config) { c.Encoding = "utf16" }, "encoding"},
		{"qos", func(c *Config) { c.QoS = 3 }, "qos"},
		{"reconnect min", func(c *Config) { c.ReconnectMin = adapters.D(0) }, "reconnect_min"},
		{"reconnect max", func(c *Config) { c.ReconnectMax = adapters.D(time.Millisecond) }, "reconnect_max"},
		{"tx queue", func(c *Config) { c.TxQueue = 0 }, "tx_queue"},
	}
	if runtime.GOOS != "windows" {
		cases = append(cases, struct {
			name string
			mod  func(*Config)
			key  string
		}{"1.5 stop bits", func(c *Config) { c.StopBits = 1.5 }, "stop_bits"})
	}
	for _, tc := range cases {
		c := ok
		tc.mod(&c)
		err := c.Validate()
		require.ErrorIs(t, err, ErrInvalidConfig, tc.name)
		require.Contains(t, err.Error(), tc.key+":", tc.name)
		_, err = New(c, nil)
		require.ErrorIs(t, err, ErrInvalidConfig, tc.name)
	}
}
