package pingmq

import (
	"fmt"
	"time"

	"github.com/lonelyleaf/surgemq/adapters"
)

// Mode selects the kind of ICMP socket.
type Mode string

// The ICMP socket modes.
const (
	// ModeAuto tries ModePrivileged, then ModeUnprivileged.
	ModeAuto Mode = "auto"
	// ModePrivileged uses a raw ICMP socket: needs root or CAP_NET_RAW.
	ModePrivileged Mode = "privileged"
	// ModeUnprivileged uses a Linux "ping socket" (SOCK_DGRAM, IPPROTO_ICMP): needs the
	// process's group inside net.ipv4.ping_group_range.
	ModeUnprivileged Mode = "unprivileged"
)

// Config configures one Monitor: one [[ping]] table. Top-level Targets are pinged with the
// top-level Interval, Count and Timeout; each Group pings its own targets with its own values
// (zero values inherit the top-level ones). One Concurrency bound covers all of them.
type Config struct {
	// Targets are IP addresses, host names, CIDR prefixes and octet ranges; see ExpandTarget.
	Targets []string `toml:"targets"`
	// Interval is the time between two rounds over the targets (pingmq -i).
	Interval adapters.Duration `toml:"interval"`
	// Count is the number of echo requests per host per round.
	Count int `toml:"count"`
	// PingInterval is the time between the echo requests of one round.
	PingInterval adapters.Duration `toml:"ping_interval"`
	// Timeout bounds one host's round: replies later than this count as lost. It must leave
	// room for all Count requests: Timeout > (Count-1) × PingInterval.
	Timeout adapters.Duration `toml:"timeout"`
	// Groups are further target groups with their own interval, count and timeout.
	Groups []Group `toml:"group"`
	// Mode is "auto", "privileged" or "unprivileged".
	Mode Mode `toml:"mode"`
	// Concurrency bounds how many hosts are pinged at the same time.
	Concurrency int `toml:"concurrency"`
	// Prefix is the first topic level(s): state goes to <Prefix>/ping/<host>.
	Prefix string `toml:"prefix"`
	// QoS is used for every publish.
	QoS byte `toml:"qos"`
	// LegacyTopics also publishes the old SurgeMQ pingmq topics /ping/success/<ip> and
	// /ping/failure/<ip>.
	LegacyTopics bool `toml:"legacy_topics"`
	// HomeAssistant publishes Home Assistant MQTT discovery configs for every host.
	HomeAssistant bool `toml:"homeassistant"`
	// DiscoveryPrefix is Home Assistant's discovery prefix.
	DiscoveryPrefix string `toml:"discovery_prefix"`
	// AvailabilityTopic is the topic Home Assistant watches for the gateway's "online" /
	// "offline"; empty means <Prefix>/status. The adapter does not publish it: whoever owns the
	// MQTT connection (gateway, cmd/pingmq) publishes "online" there and sets its will to
	// "offline".
	AvailabilityTopic string `toml:"availability_topic"`
}

// Group is a [[ping.group]] table: targets pinged with their own interval, count and timeout.
type Group struct {
	// Name labels the group in logs; optional.
	Name string `toml:"name"`
	// Targets as in Config.Targets.
	Targets []string `toml:"targets"`
	// Interval overrides Config.Interval when set.
	Interval adapters.Duration `toml:"interval"`
	// Count overrides Config.Count when set.
	Count int `toml:"count"`
	// Timeout overrides Config.Timeout when set.
	Timeout adapters.Duration `toml:"timeout"`
}

// DefaultConfig returns the defaults: every key of SampleConfig with its default value.
func DefaultConfig() Config {
	return Config{
		Interval:        adapters.D(60 * time.Second),
		Count:           3,
		PingInterval:    adapters.D(500 * time.Millisecond),
		Timeout:         adapters.D(3 * time.Second),
		Mode:            ModeAuto,
		Concurrency:     16,
		Prefix:          "surgemq",
		QoS:             1,
		DiscoveryPrefix: "homeassistant",
	}
}

// SampleConfig returns a commented [[ping]] table with every key and its default.
func SampleConfig() string {
	return `# ICMP ping monitor: publishes each host's state to MQTT. Repeat [[ping]] per monitor.
[[ping]]
  ## Hosts to ping: IP addresses, host names, CIDR prefixes ("10.0.0.0/28": network and
  ## broadcast addresses skipped) and octet ranges ("10.1.1.1-10", "10.1.1-2.1").
  targets = []

  ## Time between two rounds over the targets.
  # interval = "1m0s"
  ## Echo requests per host per round, and the time between them.
  # count = 3
  # ping_interval = "500ms"
  ## Time budget of one host's round; must exceed (count-1) * ping_interval.
  # timeout = "3s"

  ## ICMP socket: "auto" (privileged, then unprivileged), "privileged" (raw socket: root or
  ## CAP_NET_RAW) or "unprivileged" (ping socket: net.ipv4.ping_group_range).
  # mode = "auto"
  ## Hosts pinged at the same time, over all groups.
  # concurrency = 16

  ## Topics: <prefix>/ping/<host> (JSON, retained), <prefix>/ping/<host>/state (retained),
  ## <prefix>/ping/<host>/event (state changes).
  # prefix = "surgemq"
  # qos = 1
  ## Also publish the 2014 SurgeMQ pingmq topics /ping/success/<ip> and /ping/failure/<ip>.
  # legacy_topics = false

  ## Home Assistant MQTT discovery: a connectivity binary_sensor and RTT / loss sensors per host.
  # homeassistant = false
  # discovery_prefix = "homeassistant"
  ## Gateway availability topic for Home Assistant; "" means "<prefix>/status".
  # availability_topic = ""

  ## More target groups, each with its own interval, count and timeout (unset: as above).
  # [[ping.group]]
  #   name = ""
  #   targets = []
  #   interval = "1m0s"
  #   count = 3
  #   timeout = "3s"
`
}

// Validate checks every value and expands the targets; the error names the offending key.
func (c Config) Validate() error {
	_, err := c.plan()
	return err
}

// group is a validated, expanded target group.
type group struct {
	name     string
	interval time.Duration
	count    int
	timeout  time.Duration
	hosts    []*hostState
}

func invalid(key, format string, args ...any) error {
	return fmt.Errorf("%w: %s: %s", ErrInvalidConfig, key, fmt.Sprintf(format, args...))
}

// plan validates c and builds its groups.
func (c Config) plan() ([]*group, error) {
	switch c.Mode {
	case ModeAuto, ModePrivileged, ModeUnprivileged:
	default:
		return nil, invalid("mode", "%q is not auto, privileged or unprivileged", c.Mode)
	}
	if c.Concurrency < 1 || c.Concurrency > 4096 {
		return nil, invalid("concurrency", "%d is not within 1-4096", c.Concurrency)
	}
	if err := adapters.ValidPrefix(c.Prefix); err != nil {
		return nil, invalid("prefix", "%v", err)
	}
	if c.QoS > 2 {
		return nil, invalid("qos", "%d is not 0, 1 or 2", c.QoS)
	}
	if c.PingInterval.Duration <= 0 {
		return nil, invalid("ping_interval", "must be positive")
	}
	if c.HomeAssistant {
		if err := adapters.ValidPrefix(c.DiscoveryPrefix); err != nil {
			return nil, invalid("discovery_prefix", "%v", err)
		}
		if c.AvailabilityTopic != "" {
			if err := adapters.ValidPrefix(c.AvailabilityTopic); err != nil {
				return nil, invalid("availability_topic", "%v", err)
			}
		}
	}

	top := Group{Name: "", Targets: c.Targets, Interval: c.Interval, Count: c.Count, Timeout: c.Timeout}
	if err := c.checkTiming("", top); err != nil {
		return nil, err
	}
	var groups []*group
	seen := make(map[string]string) // topic segment -> target that produced it
	total := 0
	all := append([]Group{top}, c.Groups...)
	for i, g := range all {
		key := "targets"
		if i > 0 {
			key = fmt.Sprintf("group[%d]", i-1)
			if g.Interval.Duration == 0 {
				g.Interval = c.Interval
			}
			if g.Count == 0 {
				g.Count = c.Count
			}
			if g.Timeout.Duration == 0 {
				g.Timeout = c.Timeout
			}
			if err := c.checkTiming(key+".", g); err != nil {
				return nil, err
			}
			if len(g.Targets) == 0 {
				return nil, invalid(key+".targets", "empty")
			}
		}
		out := &group{name: g.Name, interval: g.Interval.Duration, count: g.Count, timeout: g.Timeout.Duration}
		for _, t := range g.Targets {
			hs, err := expand(t, MaxHosts-total)
			if err != nil {
				return nil, fmt.Errorf("%w: %s: %w", ErrInvalidConfig, key, err)
			}
			total += len(hs)
			for _, h := range hs {
				seg := topicSegment(h.name)
				if prev, dup := seen[seg]; dup {
					return nil, fmt.Errorf("%w: %s: %w: %s from %q is also in %q", ErrInvalidConfig, key, ErrDuplicateTarget, h.name, t, prev)
				}
				seen[seg] = t
				out.hosts = append(out.hosts, c.newHostState(h))
			}
		}
		if len(out.hosts) > 0 {
			groups = append(groups, out)
		}
	}
	if total == 0 {
		return nil, invalid("targets", "no targets configured")
	}
	return groups, nil
}

func (c Config) checkTiming(key string, g Group) error {
	if g.Interval.Duration <= 0 {
		return invalid(key+"interval", "must be positive")
	}
	if g.Count < 1 || g.Count > 1000 {
		return invalid(key+"count", "%d is not within 1-1000", g.Count)
	}
	if g.Timeout.Duration <= time.Duration(g.Count-1)*c.PingInterval.Duration {
		return invalid(key+"timeout", "%v leaves no time for %d requests %v apart (ping_interval)",
			g.Timeout.Duration, g.Count, c.PingInterval.Duration)
	}
	return nil
}
