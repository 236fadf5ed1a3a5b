package gateway

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/lonelyleaf/surgemq/adapters"
	"github.com/lonelyleaf/surgemq/adapters/serial"
	"github.com/lonelyleaf/surgemq/broker"
	"github.com/lonelyleaf/surgemq/broker/store"
	"github.com/lonelyleaf/surgemq/pingmq"
)

// Config is the gateway's configuration: one TOML file (see configs/surgemq.toml for every
// key with its default). Build one with Default or Load; a Config is a plain value, so Reload
// compares two of them.
type Config struct {
	// Prefix is the first topic level(s) of the gateway's own topics (<prefix>/status) and of
	// every adapter that does not set its own prefix.
	Prefix string `toml:"prefix"`
	// Broker configures the MQTT broker.
	Broker BrokerConfig `toml:"broker"`
	// Persistence configures on-disk state. Only validated for now.
	Persistence PersistenceConfig `toml:"persistence"`
	// Log configures logging.
	Log LogConfig `toml:"log"`
	// Ping are the ICMP monitors: [[ping]] tables. An empty Prefix inherits Config.Prefix.
	Ping []pingmq.Config `toml:"ping"`
	// Serial are the serial devices: [[serial]] tables. An empty Prefix inherits Config.Prefix.
	Serial []serial.Config `toml:"serial"`
}

// BrokerConfig is the [broker] table. Its fields mean what the broker.Options fields of the
// same name mean, with every default written out.
type BrokerConfig struct {
	// Listeners are the TCP addresses to listen on ("host:port"; port 0 picks a free one).
	Listeners []string `toml:"listeners"`
	// MaxConnections refuses connections beyond this many; 0 means no limit.
	MaxConnections int `toml:"max_connections"`
	// MaxPacketSize is the largest packet accepted, in bytes.
	MaxPacketSize int `toml:"max_packet_size"`
	// MaxInflight is the number of unacknowledged outgoing QoS 1/2 messages per client.
	MaxInflight int `toml:"max_inflight"`
	// MaxQueuedMessages bounds each session's queue; -1 means no limit.
	MaxQueuedMessages int `toml:"max_queued_messages"`
	// MaxQueuedBytes bounds each session's queue in payload bytes; 0 means no limit.
	MaxQueuedBytes int64 `toml:"max_queued_bytes"`
	// QueueQoS0 queues QoS 0 messages for offline persistent sessions too.
	QueueQoS0 bool `toml:"queue_qos0"`
	// MaxOutboundBytes bounds the bytes encoded for one connection but not yet written.
	MaxOutboundBytes int `toml:"max_outbound_bytes"`
	// ConnectTimeout closes a connection that has not sent CONNECT within it.
	ConnectTimeout adapters.Duration `toml:"connect_timeout"`
	// WriteTimeout closes a connection whose socket accepts nothing for this long.
	WriteTimeout adapters.Duration `toml:"write_timeout"`
	// SysInterval is how often the $SYS topics are published; 0 disables them.
	SysInterval adapters.Duration `toml:"sys_interval"`
}

// The values of PersistenceConfig.Mode and PersistenceConfig.Fsync.
const (
	PersistenceNone = "none"
	PersistenceDisk = "disk"
	FsyncAlways     = "always"
	FsyncInterval   = "interval"
)

// PersistenceConfig is the [persistence] table: where retained messages and persistent
// sessions (subscriptions, queued and in-flight QoS 1/2 messages) survive restarts, crashes
// and power loss.
type PersistenceConfig struct {
	// Mode is "none" (memory only) or "disk".
	Mode string `toml:"mode"`
	// Path is the data directory. Empty means systemd's $STATE_DIRECTORY when it is set
	// (StateDirectory=surgemq), else DefaultDataDir.
	Path string `toml:"path"`
	// MaxDiskBytes bounds the store's files; messages beyond it are refused, counted and
	// logged. 0 means no limit.
	MaxDiskBytes int64 `toml:"max_disk_bytes"`
	// Fsync is "always" (every write) or "interval" (every FsyncInterval).
	Fsync string `toml:"fsync"`
	// FsyncInterval is the time between two fsyncs when Fsync is "interval".
	FsyncInterval adapters.Duration `toml:"fsync_interval"`
}

// LogConfig is the [log] table.
type LogConfig struct {
	// Level is "debug", "info", "warn" or "error".
	Level string `toml:"level"`
	// Format is "text" (logfmt) or "json".
	Format string `toml:"format"`
}

// DefaultPrefix is the default topic prefix.
const DefaultPrefix = "surgemq"

// DefaultListener is the default listener address.
const DefaultListener = ":1883"

// base returns the defaults without any adapter: what a file starts from.
func base() Config {
	return Config{
		Prefix: DefaultPrefix,
		Broker: BrokerConfig{
			Listeners:         []string{DefaultListener},
			MaxConnections:    0,
			MaxPacketSize:     broker.DefaultMaxPacketSize,
			MaxInflight:       broker.DefaultMaxInflight,
			MaxQueuedMessages: broker.DefaultMaxQueuedMessages,
			MaxQueuedBytes:    0,
			QueueQoS0:         false,
			MaxOutboundBytes:  broker.DefaultMaxOutboundBytes,
			ConnectTimeout:    adapters.D(broker.DefaultConnectTimeout),
			WriteTimeout:      adapters.D(broker.DefaultWriteTimeout),
			SysInterval:       adapters.D(broker.DefaultSysInterval),
		},
		Persistence: PersistenceConfig{
			Mode:          PersistenceNone,
			Fsync:         FsyncAlways,
			FsyncInterval: adapters.D(time.Second),
		},
		Log: LogConfig{Level: "info", Format: "text"},
	}
}

// pingDefault and serialDefault are the defaults of one [[ping]] / [[serial]] table in a
// gateway file: the adapter's defaults with an empty prefix, which inherits Config.Prefix.
func pingDefault() pingmq.Config {
	c := pingmq.DefaultConfig()
	c.Prefix = ""
	return c
}

func serialDefault() serial.Config {
	c := serial.DefaultConfig()
	c.Prefix = ""
	return c
}

// Default returns what `surgemq serve` runs without a file: the broker on DefaultListener
// with every default, and a ping monitor of 127.0.0.1 so there is data to see at once.
func Default() Config {
	c := base()
	p := pingDefault()
	p.Targets = []string{"127.0.0.1"}
	c.Ping = []pingmq.Config{p}
	return c
}

// resolved returns a copy of c whose adapters have their inherited prefix (and ping
// monitors the gateway's status topic as availability topic) filled in. The copy shares no
// slice with c.
func (c Config) resolved() Config {
	out := c
	out.Broker.Listeners = append([]string(nil), c.Broker.Listeners...)
	out.Ping = append([]pingmq.Config(nil), c.Ping...)
	for i := range out.Ping {
		if out.Ping[i].Prefix == "" {
			out.Ping[i].Prefix = c.Prefix
		}
		if out.Ping[i].AvailabilityTopic == "" {
			// Home Assistant watches the status the gateway publishes, whatever the
			// monitor's own prefix.
			out.Ping[i].AvailabilityTopic = c.statusTopic()
		}
	}
	out.Serial = append([]serial.Config(nil), c.Serial...)
	for i := range out.Serial {
		if out.Serial[i].Prefix == "" {
			out.Serial[i].Prefix = c.Prefix
		}
	}
	return out
}

// Validate checks every value. The error joins one *ConfigError per problem, each naming its
// key; errors.Is(err, ErrInvalidConfig) holds.
func (c Config) Validate() error {
	errs := c.validate()
	if len(errs) == 0 {
		return nil
	}
	joined := make([]error, len(errs))
	for i, e := range errs {
		joined[i] = e
	}
	return errors.Join(joined...)
}

// validate returns every problem of c, in file order.
func (c Config) validate() []*ConfigError {
	var errs []*ConfigError
	add := func(e *ConfigError) {
		if e != nil {
			errs = append(errs, e)
		}
	}
	if err := adapters.ValidPrefix(c.Prefix); err != nil {
		add(invalidf([]string{"prefix"}, "%v", err))
	}
	for _, e := range c.Broker.validate() {
		add(e)
	}
	add(c.Persistence.validate())
	for _, e := range c.Log.validate() {
		add(e)
	}
	r := c.resolved()
	for i, p := range r.Ping {
		if err := p.Validate(); err != nil {
			add(adapterError("ping", i, err, pingmq.ErrInvalidConfig))
		}
	}
	names := make(map[string]int)
	for i, s := range r.Serial {
		if err := s.Validate(); err != nil {
			add(adapterError("serial", i, err, serial.ErrInvalidConfig))
			continue
		}
		key := s.Prefix + "/" + s.Name
		if j, dup := names[key]; dup {
			add(invalidf([]string{"serial", strconv.Itoa(i), "name"},
				"%q is also the name of serial[%d]: their topics would collide", s.Name, j))
			continue
		}
		names[key] = i
	}
	return errs
}

// adapterError wraps an adapter's Validate error as the problem of table kind[i]. Its path
// points at the key the adapter names after its sentinel ("invalid pingmq config: count: …"),
// so Load can find the line; the message stays the adapter's own.
func adapterError(kind string, i int, err, sentinel error) *ConfigError {
	table := []string{kind, strconv.Itoa(i)}
	e := &ConfigError{Key: displayKey(table), Err: err, path: table}
	rest, ok := strings.CutPrefix(err.Error(), sentinel.Error()+": ")
	if !ok {
		return e
	}
	key, _, ok := strings.Cut(rest, ": ")
	if !ok {
		return e
	}
	path := append([]string(nil), table...)
	for part := range strings.SplitSeq(key, ".") {
		name, idx, indexed := strings.Cut(part, "[")
		if name == "" || !validKeyName(name) {
			return e
		}
		path = append(path, name)
		if indexed {
			idx = strings.TrimSuffix(idx, "]")
			if !isIndex(idx) {
				return e
			}
			path = append(path, idx)
		}
	}
	e.path = path
	return e
}

func validKeyName(s string) bool {
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

func (b BrokerConfig) validate() []*ConfigError {
	var errs []*ConfigError
	key := func(k string) []string { return []string{"broker", k} }
	if len(b.Listeners) == 0 {
		errs = append(errs, invalidf(key("listeners"), "at least one listener is needed"))
	}
	seen := make(map[string]bool)
	for _, l := range b.Listeners {
		if err := validListener(l); err != nil {
			errs = append(errs, invalidf(key("listeners"), "%v", err))
			continue
		}
		if _, port, _ := net.SplitHostPort(l); seen[l] && port != "0" {
			errs = append(errs, invalidf(key("listeners"), "%q is listed twice", l))
		}
		seen[l] = true
	}
	check := func(ok bool, k, format string, args ...any) {
		if !ok {
			errs = append(errs, invalidf(key(k), format, args...))
		}
	}
	check(b.MaxConnections >= 0, "max_connections", "%d is negative (0 means no limit)", b.MaxConnections)
	check(b.MaxPacketSize >= 1 && b.MaxPacketSize <= 268_435_455, "max_packet_size",
		"%d is not within 1-268435455", b.MaxPacketSize)
	check(b.MaxInflight >= 1 && b.MaxInflight <= 65535, "max_inflight", "%d is not within 1-65535", b.MaxInflight)
	check(b.MaxQueuedMessages >= 1 || b.MaxQueuedMessages == -1, "max_queued_messages",
		"%d is neither positive nor -1 (no limit)", b.MaxQueuedMessages)
	check(b.MaxQueuedBytes >= 0, "max_queued_bytes", "%d is negative (0 means no limit)", b.MaxQueuedBytes)
	check(b.MaxOutboundBytes >= 1, "max_outbound_bytes", "%d is not positive", b.MaxOutboundBytes)
	check(b.ConnectTimeout.Duration > 0, "connect_timeout", "must be positive")
	check(b.WriteTimeout.Duration > 0, "write_timeout", "must be positive")
	return errs
}

// validListener checks a "host:port" TCP address without resolving it.
func validListener(addr string) error {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("%q is not host:port: %w", addr, err)
	}
	if _, err := strconv.ParseUint(port, 10, 16); err != nil {
		return fmt.Errorf("%q: port %q is not a number within 0-65535", addr, port)
	}
	return nil
}

func (p PersistenceConfig) validate() *ConfigError {
	key := func(k string) []string { return []string{"persistence", k} }
	switch p.Mode {
	case PersistenceNone, PersistenceDisk:
	default:
		return invalidf(key("mode"), "%q is not none or disk", p.Mode)
	}
	switch p.Fsync {
	case FsyncAlways, FsyncInterval:
	default:
		return invalidf(key("fsync"), "%q is not always or interval", p.Fsync)
	}
	if p.Fsync == FsyncInterval && p.FsyncInterval.Duration <= 0 {
		return invalidf(key("fsync_interval"), "must be positive when fsync is \"interval\"")
	}
	if p.MaxDiskBytes < 0 {
		return invalidf(key("max_disk_bytes"), "must not be negative")
	}
	return nil
}

// DefaultDataDir is the data directory of mode = "disk" when neither path nor systemd's
// $STATE_DIRECTORY says otherwise.
const DefaultDataDir = "/var/lib/surgemq"

// storeOptions maps the [persistence] table onto the broker's store options; nil for "none".
// getenv reads $STATE_DIRECTORY.
func (p PersistenceConfig) storeOptions(getenv func(string) string) *store.Options {
	if p.Mode != PersistenceDisk {
		return nil
	}
	dir := p.Path
	if dir == "" {
		// systemd may pass several directories, colon-separated; ours is the first.
		dir, _, _ = strings.Cut(getenv("STATE_DIRECTORY"), ":")
	}
	if dir == "" {
		dir = DefaultDataDir
	}
	o := &store.Options{Dir: dir, Fsync: store.FsyncAlways, MaxBytes: p.MaxDiskBytes}
	if p.Fsync == FsyncInterval {
		o.Fsync, o.FsyncInterval = store.FsyncInterval, p.FsyncInterval.Duration
	}
	return o
}

func (l LogConfig) validate() []*ConfigError {
	var errs []*ConfigError
	if _, err := parseLevel(l.Level); err != nil {
		errs = append(errs, invalidf([]string{"log", "level"}, "%v", err))
	}
	switch l.Format {
	case "text", "json":
	default:
		errs = append(errs, invalidf([]string{"log", "format"}, "%q is not text or json", l.Format))
	}
	return errs
}

// brokerOptions maps the [broker] table onto broker.Options.
func (b BrokerConfig) brokerOptions() broker.Options {
	o := broker.Options{
		MaxConnections:    b.MaxConnections,
		MaxPacketSize:     b.MaxPacketSize,
		MaxInflight:       b.MaxInflight,
		MaxQueuedMessages: b.MaxQueuedMessages,
		MaxQueuedBytes:    b.MaxQueuedBytes,
		QueueQoS0:         b.QueueQoS0,
		MaxOutboundBytes:  b.MaxOutboundBytes,
		ConnectTimeout:    b.ConnectTimeout.Duration,
		WriteTimeout:      b.WriteTimeout.Duration,
		SysInterval:       b.SysInterval.Duration,
	}
	if o.SysInterval == 0 {
		o.SysInterval = -1 // 0 disables $SYS here; in broker.Options 0 means the default
	}
	return o
}
