package bench

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/lonelyleaf/surgemq/mqtt/packet"
)

// Scenario names a load shape.
type Scenario string

// The scenarios. The first four are SurgeMQ's original benchmarks; N is Config.Clients.
const (
	// OneToOne runs N pairs: publisher i publishes on its own topic, which only subscriber i
	// subscribes to (2N connections).
	OneToOne Scenario = "1to1"
	// FanIn runs N publishers on one topic and one subscriber (N+1 connections).
	FanIn Scenario = "fanin"
	// FanOut runs one publisher and N subscribers of its topic (N+1 connections).
	FanOut Scenario = "fanout"
	// Mesh runs N clients that each publish on and subscribe to one shared topic, so every
	// message is delivered N times, once back to its own publisher (N connections).
	Mesh Scenario = "mesh"
	// Idle opens N connections (each with one subscription when Config.Subscribe is set),
	// holds them for Config.Duration and reports the broker's memory per connection.
	Idle Scenario = "idle"
	// Conn measures the connection rate: N workers each repeat dial, CONNECT, CONNACK,
	// DISCONNECT and wait for the broker to close, for Config.Duration or Config.Count rounds.
	Conn Scenario = "conn"
)

// Scenarios lists every scenario, in the order the usage text shows them.
func Scenarios() []Scenario { return []Scenario{OneToOne, FanIn, FanOut, Mesh, Idle, Conn} }

// isPubSub reports whether s publishes messages (and so has a message report).
func (s Scenario) isPubSub() bool {
	switch s {
	case OneToOne, FanIn, FanOut, Mesh:
		return true
	}
	return false
}

// Defaults for the zero values of Config.
const (
	DefaultAddr     = "127.0.0.1:1883"
	DefaultClients  = 10
	DefaultSize     = 64
	DefaultDuration = 10 * time.Second
	DefaultInflight = 100
	DefaultDrain    = 5 * time.Second
	DefaultPrefix   = "bench"
)

// Config describes one benchmark run. The zero value of a field means its documented default.
type Config struct {
	// Addr is the broker's TCP address. Default DefaultAddr; ignored with Selftest.
	Addr string
	// Scenario is the load shape. Default OneToOne.
	Scenario Scenario
	// Clients is N in the scenario's description. Default DefaultClients.
	Clients int
	// QoS of every publish and subscription.
	QoS packet.QoS
	// Version is the protocol level spoken: packet.V31, V311 or V5. Default V311.
	Version packet.Version
	// Size is the payload size in bytes, at least 24 (the header every message carries).
	// Default DefaultSize.
	Size int
	// Duration bounds the publishing phase (idle: the holding time; conn: the run). With
	// Count set and Duration zero, only Count bounds it; with neither, DefaultDuration.
	Duration time.Duration
	// Count is the number of messages each publisher sends (conn: rounds per worker).
	// Zero means no count limit.
	Count int
	// Rate is the offered load in messages per second per publisher; zero publishes as fast as
	// the broker accepts. At a fixed rate a message's send time is when it was due, not when it
	// went out, so a publisher falling behind shows as latency (no coordinated omission).
	Rate float64
	// Inflight is each QoS 1/2 publisher's window of unacknowledged messages. Default
	// DefaultInflight; MQTT 5 brokers' Receive Maximum lowers it.
	Inflight int
	// Drain is how long to wait after publishing for outstanding deliveries and acks (the run
	// stops earlier once everything arrived, or nothing arrived for a second).
	// Default DefaultDrain.
	Drain time.Duration
	// Subscribe gives each Idle connection one subscription of its own.
	Subscribe bool
	// PID is the broker's process id, for its CPU time and memory from /proc. Zero skips them.
	PID int
	// TopicPrefix starts every topic; a random run id follows it, so concurrent runs against
	// one broker do not see each other's messages. Default DefaultPrefix.
	TopicPrefix string
	// Selftest runs the scenario against an in-process Forwarder instead of Addr, to show the
	// generator's own ceiling.
	Selftest bool
	// Progress, when not nil, receives a progress line every second (with "\r", for a
	// terminal).
	Progress io.Writer
}

// withDefaults returns a copy of c with defaults filled in, or an error wrapping ErrConfig.
func (c Config) withDefaults() (Config, error) {
	if c.Addr == "" {
		c.Addr = DefaultAddr
	}
	if c.Scenario == "" {
		c.Scenario = OneToOne
	}
	if c.Version == 0 {
		c.Version = packet.V311
	}
	if c.Clients == 0 {
		c.Clients = DefaultClients
	}
	if c.Size == 0 {
		c.Size = DefaultSize
	}
	if c.Inflight == 0 {
		c.Inflight = DefaultInflight
	}
	if c.Drain == 0 {
		c.Drain = DefaultDrain
	}
	if c.TopicPrefix == "" {
		c.TopicPrefix = DefaultPrefix
	}
	if c.Duration == 0 && c.Count == 0 {
		c.Duration = DefaultDuration
	}
	bad := func(format string, args ...any) (Config, error) {
		return c, fmt.Errorf("%w: "+format, append([]any{ErrConfig}, args...)...)
	}
	switch {
	case !validScenario(c.Scenario):
		return bad("unknown scenario %q (want one of %s)", c.Scenario, scenarioList())
	case c.Clients < 1 || c.Clients > 1_000_000:
		return bad("clients %d out of range 1..1000000", c.Clients)
	case c.QoS > packet.QoS2:
		return bad("qos %d: want 0, 1 or 2", c.QoS)
	case c.Version != packet.V31 && c.Version != packet.V311 && c.Version != packet.V5:
		return bad("version %d: want 3, 4 or 5", c.Version)
	case c.Size < headerSize || c.Size > 16<<20:
		return bad("size %d out of range %d..%d bytes", c.Size, headerSize, 16<<20)
	case c.Duration < 0 || c.Drain < 0:
		return bad("negative duration")
	case c.Count < 0:
		return bad("negative count")
	case c.Rate < 0 || c.Rate > 1e9:
		return bad("rate %g out of range 0..1e9 per second", c.Rate)
	case c.Inflight < 1 || c.Inflight > 65535:
		return bad("inflight %d out of range 1..65535", c.Inflight)
	case c.PID < 0:
		return bad("negative pid")
	case strings.ContainsAny(c.TopicPrefix, "+#\x00"):
		return bad("topic prefix %q contains a wildcard or NUL", c.TopicPrefix)
	case c.Scenario == Idle && c.Count > 0 && c.Duration == 0:
		return bad("the idle scenario is bounded by -duration, not -count")
	}
	return c, nil
}

func validScenario(s Scenario) bool {
	for _, k := range Scenarios() {
		if s == k {
			return true
		}
	}
	return false
}

func scenarioList() string {
	var names []string
	for _, s := range Scenarios() {
		names = append(names, string(s))
	}
	return strings.Join(names, ", ")
}
