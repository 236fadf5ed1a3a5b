package bench

import (
	"flag"
	"fmt"
	"io"

	"github.com/lonelyleaf/surgemq/mqtt/packet"
)

// Options are the settings of the bench command line: a Config and the output format.
type Options struct {
	Config Config
	// JSON asks for the Report as JSON instead of text.
	JSON bool
}

const usageHead = `usage: surgemq bench [flags]

Generates MQTT load against a broker and reports throughput, latency, loss and CPU.

scenarios (-scenario; N is -clients):
  1to1    N publishers, each to its own subscriber on its own topic (2N connections)
  fanin   N publishers on one topic, 1 subscriber
  fanout  1 publisher, N subscribers of its topic
  mesh    N clients each publishing on and subscribing to one shared topic
  idle    hold N connections (-subscribe: one subscription each) for -duration;
          with -pid, the broker's RSS growth per connection
  conn    N workers connect, get CONNACK and disconnect as fast as they can

-rate is per publisher (0: as fast as the broker takes it; then latency is mostly
queueing). At a fixed rate a message is stamped with the time it was due, so a
publisher that falls behind shows as latency. Subscribers are subscribed before
publishing starts. -pid adds the broker's CPU (per delivered message) and memory.
-selftest runs against an in-process trivial forwarder to show the generator's own
ceiling.

flags:
`

// ParseArgs parses the bench command line. Usage and flag errors go to output; it returns
// flag.ErrHelp for -h, or an error wrapping ErrConfig for a value out of range.
func ParseArgs(args []string, output io.Writer) (*Options, error) {
	fs := flag.NewFlagSet("surgemq bench", flag.ContinueOnError)
	fs.SetOutput(output)
	fs.Usage = func() {
		fmt.Fprint(output, usageHead)
		fs.PrintDefaults()
	}
	o := &Options{}
	c := &o.Config
	scenario := fs.String("scenario", string(OneToOne), "load shape: "+scenarioList())
	fs.StringVar(&c.Addr, "addr", DefaultAddr, "broker TCP address")
	fs.IntVar(&c.Clients, "clients", DefaultClients, "N: pairs, publishers, subscribers, nodes, connections or workers (see the scenario)")
	qos := fs.Uint("qos", 0, "QoS of publishes and subscriptions: 0, 1 or 2")
	version := fs.Uint("version", uint(packet.V311), "MQTT protocol level: 3 (3.1), 4 (3.1.1) or 5 (5.0)")
	fs.IntVar(&c.Size, "size", DefaultSize, "payload bytes, at least 24 (publisher, sequence and send time)")
	fs.DurationVar(&c.Duration, "duration", 0, "publishing time (idle: holding time; conn: run time); default 10s unless -count is given")
	fs.IntVar(&c.Count, "count", 0, "messages per publisher (conn: connections per worker); 0 means no limit")
	fs.Float64Var(&c.Rate, "rate", 0, "messages per second per publisher; 0 means as fast as possible")
	fs.IntVar(&c.Inflight, "inflight", DefaultInflight, "QoS 1/2 publisher window of unacknowledged messages")
	fs.DurationVar(&c.Drain, "drain", DefaultDrain, "how long to wait for outstanding deliveries after publishing")
	fs.BoolVar(&c.Subscribe, "subscribe", false, "idle: give each connection one subscription")
	fs.IntVar(&c.PID, "pid", 0, "broker process id, for its CPU and memory from /proc")
	fs.StringVar(&c.TopicPrefix, "topic-prefix", DefaultPrefix, "first topic level (a random run id follows)")
	fs.BoolVar(&c.Selftest, "selftest", false, "run against an in-process trivial forwarder instead of -addr")
	fs.BoolVar(&o.JSON, "json", false, "print the report as JSON")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("%w: unexpected argument %q", ErrConfig, fs.Arg(0))
	}
	if *qos > 2 {
		return nil, fmt.Errorf("%w: -qos %d: want 0, 1 or 2", ErrConfig, *qos)
	}
	if *version > 255 {
		return nil, fmt.Errorf("%w: -version %d: want 3, 4 or 5", ErrConfig, *version)
	}
	c.Scenario, c.QoS, c.Version = Scenario(*scenario), packet.QoS(*qos), packet.Version(*version)
	if _, err := c.withDefaults(); err != nil {
		return nil, err
	}
	return o, nil
}
