package serial

import (
	"fmt"
	"runtime"
	"strings"
	"time"

	bugst "go.bug.st/serial"

	"github.com/lonelyleaf/surgemq/adapters"
)

// Framing says how the byte stream from the device is cut into messages.
type Framing string

// The framings.
const (
	// FramingLine cuts at Config.Terminator (the terminator is not published).
	FramingLine Framing = "line"
	// FramingFixed cuts every Config.FrameSize bytes.
	FramingFixed Framing = "fixed"
	// FramingIdle publishes what arrived once the line has been quiet for Config.IdleGap.
	FramingIdle Framing = "idle"
)

// Encoding says how frames are written into rx payloads and how tx payloads are read.
type Encoding string

// The encodings.
const (
	// EncodingText is the bytes as they are.
	EncodingText Encoding = "text"
	// EncodingHex is lower-case hex on rx; tx accepts either case and ignores white space.
	EncodingHex Encoding = "hex"
	// EncodingBase64 is standard base64 with padding on rx; tx also accepts it unpadded.
	EncodingBase64 Encoding = "base64"
	// EncodingJSON is {"data":"…","ts":"…"}; see the package documentation.
	EncodingJSON Encoding = "json"
)

// MaxFrameLimit is the largest max_frame accepted.
const MaxFrameLimit = 1 << 20

// Config configures one serial port: one [[serial]] table.
type Config struct {
	// Name is the port's topic level: <prefix>/serial/<name>/….
	Name string `toml:"name"`
	// Path is the device; prefer a stable /dev/serial/by-id/… link.
	Path string `toml:"path"`
	// Baud is the bit rate.
	Baud int `toml:"baud"`
	// DataBits is 5, 6, 7 or 8.
	DataBits int `toml:"data_bits"`
	// Parity is "none", "odd", "even", "mark" or "space".
	Parity string `toml:"parity"`
	// StopBits is 1, 1.5 or 2 (1.5 only where the OS supports it: not Linux or macOS).
	StopBits float64 `toml:"stop_bits"`
	// Framing is "line", "fixed" or "idle".
	Framing Framing `toml:"framing"`
	// Terminator ends a line (line framing); it is appended to tx messages.
	Terminator string `toml:"terminator"`
	// StripCR removes one '\r' before the terminator ("\r\n" lines), line framing only.
	StripCR bool `toml:"strip_cr"`
	// FrameSize is the length of a frame in bytes (fixed framing).
	FrameSize int `toml:"frame_size"`
	// IdleGap is the quiet time that ends a frame (idle framing).
	IdleGap adapters.Duration `toml:"idle_gap"`
	// MaxFrame bounds a frame: longer lines are dropped, idle chunks are cut at this size,
	// larger tx messages are rejected.
	MaxFrame int `toml:"max_frame"`
	// Encoding is "text", "hex", "base64" or "json", for rx and tx alike.
	Encoding Encoding `toml:"encoding"`
	// Prefix is the first topic level(s).
	Prefix string `toml:"prefix"`
	// QoS is used for rx publishes and the tx subscription; state uses QoS 1.
	QoS byte `toml:"qos"`
	// ReconnectMin and ReconnectMax bound the delay between attempts to reopen a missing or
	// lost device; it doubles from min to max and starts over after a session that lasted
	// longer than max.
	ReconnectMin adapters.Duration `toml:"reconnect_min"`
	ReconnectMax adapters.Duration `toml:"reconnect_max"`
	// TxQueue is how many tx messages may wait for the device; more are dropped.
	TxQueue int `toml:"tx_queue"`
}

// DefaultConfig returns the defaults: every key of SampleConfig with its default value.
// Name and Path have none.
func DefaultConfig() Config {
	return Config{
		Baud:         9600,
		DataBits:     8,
		Parity:       "none",
		StopBits:     1,
		Framing:      FramingLine,
		Terminator:   "\n",
		StripCR:      true,
		IdleGap:      adapters.D(50 * time.Millisecond),
		MaxFrame:     4096,
		Encoding:     EncodingText,
		Prefix:       "surgemq",
		QoS:          0,
		ReconnectMin: adapters.D(time.Second),
		ReconnectMax: adapters.D(30 * time.Second),
		TxQueue:      32,
	}
}

// SampleConfig returns a commented [[serial]] table with every key and its default.
func SampleConfig() string {
	return `# A serial device bridged to MQTT. Repeat [[serial]] per device.
[[serial]]
  ## Topic level: <prefix>/serial/<name>/rx (from the device), …/tx (to the device),
  ## …/state ("online"/"offline", retained).
  name = "gps"
  ## Prefer a stable link from /dev/serial/by-id/ over /dev/ttyUSB0.
  path = "/dev/serial/by-id/usb-example-if00-port0"

  # baud = 9600
  ## 5, 6, 7 or 8.
  # data_bits = 8
  ## "none", "odd", "even", "mark" or "space".
  # parity = "none"
  ## 1, 1.5 or 2 (Linux has no 1.5).
  # stop_bits = 1

  ## "line" (cut at terminator), "fixed" (frame_size bytes) or "idle" (cut after idle_gap
  ## of silence).
  # framing = "line"
  # terminator = "\n"
  ## Drop one "\r" before the terminator.
  # strip_cr = true
  # frame_size = 0
  # idle_gap = "50ms"
  ## Longer lines are dropped, idle chunks cut, larger tx messages rejected.
  # max_frame = 4096

  ## Payloads on rx and tx: "text", "hex", "base64" or "json" ({"data":"…","ts":"…"}).
  # encoding = "text"
  # prefix = "surgemq"
  # qos = 0

  ## Delay between attempts to reopen a missing device: doubles from min up to max.
  # reconnect_min = "1s"
  # reconnect_max = "30s"
  ## tx messages waiting for the device; more are dropped.
  # tx_queue = 32
`
}

func invalid(key, format string, args ...any) error {
	return fmt.Errorf("%w: %s: %s", ErrInvalidConfig, key, fmt.Sprintf(format, args...))
}

// Validate checks every value; the error names the offending key.
func (c Config) Validate() error {
	_, err := c.mode()
	return err
}

// mode validates c and returns the go.bug.st/serial mode it asks for.
func (c Config) mode() (*bugst.Mode, error) {
	if err := adapters.ValidLevel(c.Name); err != nil {
		return nil, invalid("name", "%v", err)
	}
	if c.Path == "" {
		return nil, invalid("path", "empty")
	}
	if err := adapters.ValidPrefix(c.Prefix); err != nil {
		return nil, invalid("prefix", "%v", err)
	}
	if c.Baud <= 0 {
		return nil, invalid("baud", "%d is not positive", c.Baud)
	}
	if c.DataBits < 5 || c.DataBits > 8 {
		return nil, invalid("data_bits", "%d is not 5, 6, 7 or 8", c.DataBits)
	}
	m := &bugst.Mode{BaudRate: c.Baud, DataBits: c.DataBits}
	switch strings.ToLower(c.Parity) {
	case "none", "n":
		m.Parity = bugst.NoParity
	case "odd", "o":
		m.Parity = bugst.OddParity
	case "even", "e":
		m.Parity = bugst.EvenParity
	case "mark", "m":
		m.Parity = bugst.MarkParity
	case "space", "s":
		m.Parity = bugst.SpaceParity
	default:
		return nil, invalid("parity", "%q is not none, odd, even, mark or space", c.Parity)
	}
	switch c.StopBits {
	case 1:
		m.StopBits = bugst.OneStopBit
	case 1.5:
		if runtime.GOOS != "windows" {
			return nil, invalid("stop_bits", "1.5 stop bits are not supported on %s", runtime.GOOS)
		}
		m.StopBits = bugst.OnePointFiveStopBits
	case 2:
		m.StopBits = bugst.TwoStopBits
	default:
		return nil, invalid("stop_bits", "%v is not 1, 1.5 or 2", c.StopBits)
	}
	if c.MaxFrame < 1 || c.MaxFrame > MaxFrameLimit {
		return nil, invalid("max_frame", "%d is not within 1-%d", c.MaxFrame, MaxFrameLimit)
	}
	switch c.Framing {
	case FramingLine:
		if c.Terminator == "" || len(c.Terminator) > 8 {
			return nil, invalid("terminator", "must be 1-8 bytes")
		}
	case FramingFixed:
		if c.FrameSize < 1 || c.FrameSize > c.MaxFrame {
			return nil, invalid("frame_size", "%d is not within 1-%d (max_frame)", c.FrameSize, c.MaxFrame)
		}
	case FramingIdle:
		if c.IdleGap.Duration < time.Millisecond {
			return nil, invalid("idle_gap", "%v is below 1ms", c.IdleGap.Duration)
		}
	default:
		return nil, invalid("framing", "%q is not line, fixed or idle", c.Framing)
	}
	switch c.Encoding {
	case EncodingText, EncodingHex, EncodingBase64, EncodingJSON:
	default:
		return nil, invalid("encoding", "%q is not text, hex, base64 or json", c.Encoding)
	}
	if c.QoS > 2 {
		return nil, invalid("qos", "%d is not 0, 1 or 2", c.QoS)
	}
	if c.ReconnectMin.Duration <= 0 {
		return nil, invalid("reconnect_min", "must be positive")
	}
	if c.ReconnectMax.Duration < c.ReconnectMin.Duration {
		return nil, invalid("reconnect_max", "%v is below reconnect_min %v", c.ReconnectMax.Duration, c.ReconnectMin.Duration)
	}
	if c.TxQueue < 1 || c.TxQueue > 4096 {
		return nil, invalid("tx_queue", "%d is not within 1-4096", c.TxQueue)
	}
	return m, nil
}
