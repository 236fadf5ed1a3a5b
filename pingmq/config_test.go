package pingmq

import (
	"reflect"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/lonelyleaf/surgemq/adapters"
	"github.com/lonelyleaf/surgemq/adapters/adapterstest"
)

type file struct {
	Ping []Config `toml:"ping"`
}

func decodeStrict(doc string) (file, error) { return adapterstest.DecodeStrict[file](doc) }

// TestSampleConfig: the sample parses, every key of Config and Group appears in it, and with
// its comments removed it decodes to DefaultConfig.
func TestSampleConfig(t *testing.T) {
	sample := SampleConfig()
	f, err := decodeStrict(sample)
	require.NoError(t, err)
	require.Len(t, f.Ping, 1)

	for _, typ := range []reflect.Type{reflect.TypeFor[Config](), reflect.TypeFor[Group]()} {
		for field := range typ.Fields() {
			key := field.Tag.Get("toml")
			require.NotEmpty(t, key, field.Name)
			if key == "group" {
				key = `\[\[ping\.group\]\]`
			} else {
				key += " = "
			}
			require.Regexp(t, `(?m)^\s*(#\s+)?`+key, sample, "key %s missing from SampleConfig", key)
		}
	}

	uncomment := regexp.MustCompile(`(?m)^(\s*)#\s+((\[\[ping\.group\]\])|([a-z_]+ = .*))$`)
	active := uncomment.ReplaceAllString(sample, "$1$2")
	f, err = decodeStrict(active)
	require.NoError(t, err, active)
	require.Len(t, f.Ping, 1)
	got := f.Ping[0]
	require.Len(t, got.Groups, 1)
	require.Equal(t, Group{Targets: []string{}, Interval: got.Interval, Count: got.Count, Timeout: got.Timeout}, got.Groups[0])
	got.Groups = nil
	want := DefaultConfig()
	want.Targets = []string{}
	require.Equal(t, want, got)
}

func TestConfigTOML(t *testing.T) {
	f, err := decodeStrict(`
[[ping]]
targets = ["10.0.0.0/30", "gw.lan"]
interval = "30s"
legacy_topics = true
[[ping.group]]
name = "wan"
targets = ["127.0.0.1"]
count = 5
[[ping]]
targets = ["10.1.1.1-3"]
mode = "privileged"
`)
	require.NoError(t, err)
	require.Len(t, f.Ping, 2)
	require.Equal(t, 30*time.Second, f.Ping[0].Interval.Duration)
	require.True(t, f.Ping[0].LegacyTopics)
	require.Equal(t, "wan", f.Ping[0].Groups[0].Name)
	require.Equal(t, ModePrivileged, f.Ping[1].Mode)

	_, err = decodeStrict("[[ping]]\ntarget = ['x']\n")
	require.Error(t, err, "unknown key")
	_, err = decodeStrict("[[ping]]\ninterval = 60\n")
	require.Error(t, err, "bare integer duration")
}

func TestValidate(t *testing.T) {
	ok := DefaultConfig()
	ok.Targets = []string{"10.0.0.1"}
	require.NoError(t, ok.Validate())

	for _, tc := range []struct {
		name string
		mod  func(*Config)
		want string
	}{
		{"no targets", func(c *Config) { c.Targets = nil }, "targets"},
		{"bad target", func(c *Config) { c.Targets = []string{"10.0.0.1-300"} }, "targets"},
		{"mode", func(c *Config) { c.Mode = "root" }, "mode"},
		{"concurrency", func(c *Config) { c.Concurrency = 0 }, "concurrency"},
		{"prefix empty", func(c *Config) { c.Prefix = "" }, "prefix"},
		{"prefix leading slash", func(c *Config) { c.Prefix = "/surgemq" }, "prefix"},
		{"prefix wildcard", func(c *Config) { c.Prefix = "a/+" }, "prefix"},
		{"qos", func(c *Config) { c.QoS = 3 }, "qos"},
		{"interval", func(c *Config) { c.Interval = adapters.D(0) }, "interval"},
		{"count", func(c *Config) { c.Count = 0 }, "count"},
		{"ping_interval", func(c *Config) { c.PingInterval = adapters.D(0) }, "ping_interval"},
		{"timeout too short", func(c *Config) { c.Count = 10; c.Timeout = adapters.D(time.Second) }, "timeout"},
		{"discovery prefix", func(c *Config) { c.HomeAssistant = true; c.DiscoveryPrefix = "" }, "discovery_prefix"},
		{"availability", func(c *Config) { c.HomeAssistant = true; c.AvailabilityTopic = "a/#" }, "availability_topic"},
		{"empty group", func(c *Config) { c.Groups = []Group{{Name: "x"}} }, "group[0].targets"},
		{"group count", func(c *Config) { c.Groups = []Group{{Targets: []string{"10.0.0.2"}, Count: -1}} }, "group[0].count"},
		{"duplicate", func(c *Config) { c.Targets = []string{"10.0.0.0/30", "10.0.0.2"} }, "duplicate"},
		{"duplicate across groups", func(c *Config) { c.Groups = []Group{{Targets: []string{"10.0.0.1"}}} }, "duplicate"},
		{"too many", func(c *Config) { c.Targets = []string{"10.0.0.0/16", "10.1.0.0/16"} }, "too many hosts"},
	} {
		c := ok
		tc.mod(&c)
		err := c.Validate()
		require.ErrorIs(t, err, ErrInvalidConfig, tc.name)
		require.Contains(t, err.Error(), tc.want, tc.name)
		_, err = New(c, nil)
		require.ErrorIs(t, err, ErrInvalidConfig, tc.name)
	}
}

func TestGroupsInherit(t *testing.T) {
	c := DefaultConfig()
	c.Targets = []string{"10.0.0.1"}
	c.Groups = []Group{{Name: "fast", Targets: []string{"10.0.0.2", "gw.lan"}, Interval: adapters.D(5 * time.Second)}}
	m, err := New(c, nil)
	require.NoError(t, err)
	require.Equal(t, []string{"10.0.0.1", "10.0.0.2", "gw.lan"}, m.Hosts())
	require.Len(t, m.groups, 2)
	require.Equal(t, 5*time.Second, m.groups[1].interval)
	require.Equal(t, c.Count, m.groups[1].count)
	require.Equal(t, c.Timeout.Duration, m.groups[1].timeout)
	require.Equal(t, "surgemq/ping/gw.lan", m.StateTopic("gw.lan"))
}
