package gateway

import (
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/lonelyleaf/surgemq/adapters/serial"
	"github.com/lonelyleaf/surgemq/broker/store"
	"github.com/lonelyleaf/surgemq/pingmq"
)

var update = flag.Bool("update", false, "rewrite configs/surgemq.toml from SampleConfig()")

func TestDefault(t *testing.T) {
	c := Default()
	require.NoError(t, c.Validate())
	require.Equal(t, []string{":1883"}, c.Broker.Listeners)
	require.Len(t, c.Ping, 1)
	require.Equal(t, []string{"127.0.0.1"}, c.Ping[0].Targets)
	require.Empty(t, c.Ping[0].Prefix, "inherits the top-level prefix")
	require.Equal(t, "surgemq", c.resolved().Ping[0].Prefix)
	require.Empty(t, c.Serial)
	require.Equal(t, "surgemq/status", c.statusTopic())
}

func TestParseKeepsDefaultsAndInheritsPrefix(t *testing.T) {
	doc := `prefix = "home"
broker.max_inflight = 5
[broker]
listeners = ["127.0.0.1:0"]

[[ping]]
targets = ["10.0.0.1"]
count = 5

[[ping]]
targets = ["10.0.0.2"]
prefix = "lab"
  [[ping.group]]
  targets = ["10.0.0.3"]

[[serial]]
name = "gps"
path = "/dev/ttyS0"
baud = 115200
`
	// A dotted key and a [broker] table both set broker keys: TOML allows that only when
	// the table comes first, so put the dotted key inside instead.
	doc = strings.Replace(doc, "broker.max_inflight = 5\n[broker]\n", "[broker]\nmax_inflight = 5\n", 1)
	c, err := Parse("t.toml", []byte(doc))
	require.NoError(t, err)

	want := base()
	want.Prefix = "home"
	want.Broker.Listeners = []string{"127.0.0.1:0"}
	want.Broker.MaxInflight = 5
	p0 := pingDefault()
	p0.Targets, p0.Count = []string{"10.0.0.1"}, 5
	p1 := pingDefault()
	p1.Targets, p1.Prefix = []string{"10.0.0.2"}, "lab"
	p1.Groups = []pingmq.Group{{Targets: []string{"10.0.0.3"}}}
	want.Ping = []pingmq.Config{p0, p1}
	s := serialDefault()
	s.Name, s.Path, s.Baud = "gps", "/dev/ttyS0", 115200
	want.Serial = []serial.Config{s}
	require.Equal(t, want, c)

	r := c.resolved()
	require.Equal(t, "home", r.Ping[0].Prefix, "inherited")
	require.Equal(t, "lab", r.Ping[1].Prefix, "own")
	require.Equal(t, "home/status", r.Ping[1].AvailabilityTopic, "Home Assistant watches the gateway's status")
	require.Equal(t, "home", r.Serial[0].Prefix, "inherited")
	require.Empty(t, c.Ping[0].Prefix, "resolved works on a copy")

	// Inline tables and dotted keys are keys like any other.
	c, err = Parse("t.toml", []byte("log = {level = \"debug\"}\nbroker.max_connections = 7\nping = [{targets = [\"::1\"]}]\n"))
	require.NoError(t, err)
	require.Equal(t, "debug", c.Log.Level)
	require.Equal(t, "text", c.Log.Format, "default kept inside an inline table")
	require.Equal(t, 7, c.Broker.MaxConnections)
	require.Equal(t, broker0().MaxInflight, c.Broker.MaxInflight)
	require.Equal(t, 3, c.Ping[0].Count, "default of an array element given inline")

	// An empty file is the defaults without adapters.
	c, err = Parse("empty.toml", nil)
	require.NoError(t, err)
	require.Equal(t, base(), c)
}

func broker0() BrokerConfig { return base().Broker }

// TestBadConfigs: every kind of mistake names the file, the line and the key.
func TestBadConfigs(t *testing.T) {
	for _, tc := range []struct {
		name, doc, want string
	}{
		{"unknown top-level key", "prefix = \"x\"\nprefx = \"y\"\n",
			`bad.toml:2: prefx: unknown key`},
		{"unknown key in broker", "[broker]\nlisteners = [\"127.0.0.1:0\"]\nmax_conections = 10\n",
			`bad.toml:3: broker.max_conections: unknown key`},
		{"unknown key in second ping", "[[ping]]\ntargets = [\"10.0.0.1\"]\n\n[[ping]]\ntargets = [\"10.0.0.2\"]\nintervall = \"5s\"\n",
			`bad.toml:6: ping[1].intervall: unknown key`},
		{"unknown key in ping.group", "[[ping]]\ntargets = [\"10.0.0.1\"]\n  [[ping.group]]\n  targets = [\"10.0.0.2\"]\n  every = \"5s\"\n",
			`bad.toml:5: ping[0].group[0].every: unknown key`},
		{"unknown key in inline table", "log = {level = \"info\", colour = true}\n",
			`bad.toml:1: log.colour: unknown key`},
		{"unknown table", "[brokr]\nlisteners = []\n",
			`bad.toml:1: brokr: unknown table`},
		{"two unknown keys", "a = 1\n[log]\nb = 2\n",
			"bad.toml:1: a: unknown key\nbad.toml:3: log.b: unknown key"},
		{"wrong type", "[broker]\nmax_connections = \"many\"\n",
			`bad.toml:2: broker.max_connections: want an integer, got "many"`},
		{"wrong type in array", "[broker]\nlisteners = [1883]\n",
			`bad.toml:2: broker.listeners: want an array of strings, got an array holding an integer`},
		{"wrong type bool", "[broker]\nqueue_qos0 = \"yes\"\n",
			`bad.toml:2: broker.queue_qos0: want true or false, got "yes"`},
		{"table as value", "ping = \"127.0.0.1\"\n",
			`bad.toml:1: ping: want an array of tables, got "127.0.0.1"`},
		{"out of range", "[[serial]]\nname = \"a\"\npath = \"/dev/x\"\nqos = 300\n",
			`bad.toml:4: serial[0].qos: 300 is out of range`},
		{"bad duration", "[broker]\nwrite_timeout = \"30 seconds\"\n",
			`bad.toml:2: broker.write_timeout: invalid duration "30 seconds": use a number with a unit, like "30s", "500ms" or "2m"`},
		{"duration without quotes", "[[ping]]\ntargets = [\"10.0.0.1\"]\ninterval = 60\n",
			`bad.toml:3: ping[0].interval: want a duration string such as "30s", got 60`},
		{"negative duration", "[persistence]\nfsync_interval = \"-1s\"\n",
			`bad.toml:2: persistence.fsync_interval: invalid duration "-1s": must not be negative`},
		{"bad enum in log", "[log]\nlevel = \"info\"\nformat = \"xml\"\n",
			`bad.toml:3: log.format: "xml" is not text or json`},
		{"bad enum in persistence", "[persistence]\nmode = \"cloud\"\n",
			`bad.toml:2: persistence.mode: "cloud" is not none or disk`},
		{"bad enum in ping", "[[ping]]\ntargets = [\"10.0.0.1\"]\nmode = \"raw\"\n",
			`bad.toml:3: ping[0]: invalid pingmq config: mode: "raw" is not auto, privileged or unprivileged`},
		{"bad enum in serial", "[[serial]]\nname = \"a\"\npath = \"/dev/x\"\nparity = \"maybe\"\n",
			`bad.toml:4: serial[0]: invalid serial config: parity: "maybe" is not none, odd, even, mark or space`},
		{"missing serial path", "[broker]\n\n[[serial]]\nname = \"gps\"\nbaud = 4800\n",
			`bad.toml:3: serial[0]: invalid serial config: path: empty`},
		{"ping without targets", "[[ping]]\ncount = 2\n",
			`bad.toml:1: ping[0]: invalid pingmq config: targets: no targets configured`},
		{"bad ping group", "[[ping]]\ntargets = [\"10.0.0.1\"]\n[[ping.group]]\nname = \"wan\"\ncount = 0\ntargets = [\"10.0.0.2\"]\n[[ping.group]]\ntargets = []\n",
			`bad.toml:8: ping[0]: invalid pingmq config: group[1].targets: empty`},
		{"negative disk limit", "[persistence]\nmode = \"disk\"\nmax_disk_bytes = -1\n",
			`bad.toml:3: persistence.max_disk_bytes: must not be negative`},
		{"bad listener", "[broker]\nlisteners = [\"1883\"]\n",
			`bad.toml:2: broker.listeners: "1883" is not host:port: address 1883: missing port in address`},
		{"bad limit", "[broker]\nmax_inflight = 0\n",
			`bad.toml:2: broker.max_inflight: 0 is not within 1-65535`},
		{"bad prefix", "prefix = \"/surgemq\"\n",
			`bad.toml:1: prefix: "/surgemq" has an empty topic level`},
		{"duplicate serial name", "[[serial]]\nname = \"a\"\npath = \"/dev/x\"\n[[serial]]\nname = \"a\"\npath = \"/dev/y\"\n",
			`bad.toml:5: serial[1].name: "a" is also the name of serial[0]: their topics would collide`},
		{"several problems in file order", "[log]\nlevel = \"loud\"\n[broker]\nmax_inflight = 0\n",
			"bad.toml:2: log.level: \"loud\" is not debug, info, warn or error\nbad.toml:4: broker.max_inflight: 0 is not within 1-65535"},
		{"syntax error", "[broker\nlisteners = []\n",
			`bad.toml:1: expected ']' to close table name`},
		{"duplicate key", "[log]\nlevel = \"info\"\nlevel = \"debug\"\n",
			`bad.toml:3: log.level: key level is already defined`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("bad.toml", []byte(tc.doc))
			require.Error(t, err)
			require.Equal(t, tc.want, err.Error())
			require.ErrorIs(t, err, ErrInvalidConfig)
			var ce *ConfigError
			require.ErrorAs(t, err, &ce)
			require.Equal(t, "bad.toml", ce.File)
			require.Positive(t, ce.Line)
		})
	}
}

func TestConfigErrorWrapsAdapterError(t *testing.T) {
	_, err := Parse("x.toml", []byte("[[ping]]\ntargets = [\"10.0.0.1\"]\nconcurrency = 0\n"))
	require.ErrorIs(t, err, pingmq.ErrInvalidConfig)
	var ce *ConfigError
	require.ErrorAs(t, err, &ce)
	require.Equal(t, ConfigError{File: "x.toml", Line: 3, Key: "ping[0]", Err: ce.Err, path: ce.path}, *ce)
	require.Equal(t, []string{"ping", "0", "concurrency"}, ce.path)

	// Built in code, the error names the key without a file.
	c := Default()
	c.Broker.MaxPacketSize = -1
	err = c.Validate()
	require.EqualError(t, err, "broker.max_packet_size: -1 is not within 1-268435455")
	require.ErrorIs(t, err, ErrInvalidConfig)
	_, err = New(c, nil)
	require.ErrorIs(t, err, ErrInvalidConfig)
}

func TestLoadFile(t *testing.T) {
	dir := t.TempDir()
	_, err := Load(filepath.Join(dir, "missing.toml"))
	require.ErrorIs(t, err, os.ErrNotExist)

	path := filepath.Join(dir, "g.toml")
	require.NoError(t, os.WriteFile(path, []byte("[log]\nlevel = \"nope\"\n"), 0o600))
	_, err = Load(path)
	require.EqualError(t, err, path+`:2: log.level: "nope" is not debug, info, warn or error`)
}

// TestSampleConfigFile: configs/surgemq.toml is SampleConfig() (go test -run
// TestSampleConfigFile -update rewrites it), loads as Default(), and shows every key of every
// config struct with its default.
func TestSampleConfigFile(t *testing.T) {
	const path = "../configs/surgemq.toml"
	if *update {
		require.NoError(t, os.WriteFile(path, []byte(SampleConfig()), 0o644))
	}
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, SampleConfig(), string(data), "configs/surgemq.toml is stale: go test ./gateway -run TestSampleConfigFile -update")

	c, err := Load(path)
	require.NoError(t, err)
	require.Equal(t, Default(), c, "loaded as it is, the sample is Default()")

	// Uncomment every commented key and table: the result must decode strictly (every key
	// in the comments exists and has the right type), must set every key of every struct,
	// and must show the defaults.
	all := uncomment(string(data))
	idx := indexDocument([]byte(all))
	var missing []string
	for _, k := range tomlKeys(reflect.TypeFor[Config](), nil) {
		if !idx.hasKey(k) {
			missing = append(missing, strings.Join(k, "."))
		}
	}
	require.Empty(t, missing, "keys missing from configs/surgemq.toml")

	var got Config
	err = decodeStrict([]byte(all), &got)
	require.NoError(t, err, "uncommented sample:\n%s", all)
	full := base()
	merge(reflect.ValueOf(&full).Elem(), reflect.ValueOf(got), idx, nil)
	require.Equal(t, base().Broker, full.Broker)
	require.Equal(t, base().Persistence, full.Persistence)
	require.Equal(t, base().Log, full.Log)
	require.Equal(t, base().Prefix, full.Prefix)

	require.Len(t, full.Ping, 1)
	wantPing := pingmq.DefaultConfig()
	wantPing.Targets = []string{"127.0.0.1"}
	wantPing.Groups = []pingmq.Group{{Targets: []string{}, Interval: wantPing.Interval, Count: wantPing.Count, Timeout: wantPing.Timeout}}
	require.Equal(t, wantPing, full.Ping[0], "the [[ping]] sample shows pingmq.DefaultConfig()")

	require.Len(t, full.Serial, 1)
	wantSerial := serial.DefaultConfig()
	wantSerial.Name, wantSerial.Path = full.Serial[0].Name, full.Serial[0].Path
	require.Equal(t, wantSerial, full.Serial[0], "the [[serial]] sample shows serial.DefaultConfig()")
}

var codeLine = regexp.MustCompile(`^(\[\[?[a-z_.]+\]\]?|[a-z_0-9]+\s*=.*)$`)

// uncomment turns "# key = value" and "# [table]" lines, commented once or twice, into code
// and drops every other comment.
func uncomment(doc string) string {
	var b strings.Builder
	for line := range strings.Lines(doc) {
		s := strings.TrimSpace(line)
		for strings.HasPrefix(s, "#") && !codeLine.MatchString(s) {
			s = strings.TrimSpace(s[1:])
		}
		if codeLine.MatchString(s) {
			b.WriteString(s + "\n")
		}
	}
	return b.String()
}

// tomlKeys lists every key path of type t, without indices: broker.listeners,
// ping.group.name.
func tomlKeys(t reflect.Type, path []string) [][]string {
	var out [][]string
	for i := range t.NumField() {
		f := t.Field(i)
		name := tomlName(f)
		if name == "" {
			continue
		}
		p := append(append([]string(nil), path...), name)
		ft := f.Type
		if ft.Kind() == reflect.Slice && !isLeaf(ft.Elem()) {
			ft = ft.Elem()
		}
		if ft.Kind() == reflect.Struct && !isLeaf(ft) {
			out = append(out, tomlKeys(ft, p)...)
			continue
		}
		out = append(out, p)
	}
	return out
}

// hasKey reports whether the document sets key (a path without indices) anywhere.
func (idx *docIndex) hasKey(key []string) bool {
	for _, e := range idx.entries {
		if slices.Equal(withoutIndices(e.path), key) {
			return true
		}
	}
	return false
}

// TestRaspberryPiConfig: the Pi example loads and means what it says.
func TestRaspberryPiConfig(t *testing.T) {
	c, err := Load("../configs/raspberrypi.toml")
	require.NoError(t, err)
	require.Equal(t, "home/pi", c.Prefix)
	require.Equal(t, PersistenceDisk, c.Persistence.Mode)
	require.Len(t, c.Ping, 1)
	require.Equal(t, []string{"192.168.1.1-20", "nas.lan", "printer.lan"}, c.Ping[0].Targets)
	require.Equal(t, 30*time.Second, c.Ping[0].Interval.Duration)
	require.Len(t, c.Ping[0].Groups, 1)
	m, err := pingmq.New(c.resolved().Ping[0], nil)
	require.NoError(t, err)
	require.Len(t, m.Hosts(), 20+2+1)
	require.Equal(t, "home/pi/ping/192.168.1.7", m.StateTopic("192.168.1.7"))

	require.Len(t, c.Serial, 1)
	s := c.resolved().Serial[0]
	require.Equal(t, "/dev/ttyUSB0", s.Path)
	require.Equal(t, 115200, s.Baud)
	p, err := serial.New(s, nil)
	require.NoError(t, err)
	rx, tx, state := p.Topics()
	require.Equal(t, []string{"home/pi/serial/arduino/rx", "home/pi/serial/arduino/tx", "home/pi/serial/arduino/state"},
		[]string{rx, tx, state})
}

func TestDefaultBackoff(t *testing.T) {
	var got []time.Duration
	for a := range 9 {
		got = append(got, DefaultBackoff(a))
	}
	s := time.Second
	require.Equal(t, []time.Duration{s, 2 * s, 4 * s, 8 * s, 16 * s, 32 * s, time.Minute, time.Minute, time.Minute}, got)
	require.Equal(t, time.Minute, DefaultBackoff(1<<30))
}

// An empty persistence path means systemd's $STATE_DIRECTORY, else DefaultDataDir.
func TestStoreOptionsPath(t *testing.T) {
	p := base().Persistence
	require.Nil(t, p.storeOptions(func(string) string { return "" }), "mode none: no store")
	p.Mode = PersistenceDisk
	env := map[string]string{"STATE_DIRECTORY": "/var/lib/surgemq:/var/lib/other"}
	require.Equal(t, "/var/lib/surgemq", p.storeOptions(func(k string) string { return env[k] }).Dir)
	require.Equal(t, DefaultDataDir, p.storeOptions(func(string) string { return "" }).Dir)
	p.Path, p.Fsync = "data", FsyncInterval
	o := p.storeOptions(func(string) string { return "" })
	require.Equal(t, "data", o.Dir)
	require.Equal(t, store.FsyncInterval, o.Fsync)
	require.Equal(t, time.Second, o.FsyncInterval)
}
