package bench

// Report is the result of one Run. Its JSON form is what -json prints; rates are per second,
// times in seconds unless a field's name says otherwise, memory in KiB.
type Report struct {
	Scenario    Scenario `json:"scenario"`
	Addr        string   `json:"addr"`
	Selftest    bool     `json:"selftest,omitempty"` // run against the in-process Forwarder
	Version     int      `json:"version"`            // protocol level: 3, 4 or 5
	QoS         int      `json:"qos"`
	Clients     int      `json:"clients"`
	Publishers  int      `json:"publishers,omitempty"`
	Subscribers int      `json:"subscribers,omitempty"`
	Size        int      `json:"size,omitempty"`
	Rate        float64  `json:"rate_per_publisher,omitempty"` // 0: as fast as possible
	Inflight    int      `json:"inflight,omitempty"`           // effective QoS 1/2 window

	Messages *Messages   `json:"messages,omitempty"` // the pub/sub scenarios
	Idle     *IdleResult `json:"idle,omitempty"`
	Conn     *ConnResult `json:"conn,omitempty"`

	CPU    CPU         `json:"cpu"`              // the generator's own
	Broker *BrokerProc `json:"broker,omitempty"` // with a pid

	Interrupted bool     `json:"interrupted,omitempty"` // the context ended the run early
	Errors      []string `json:"errors,omitempty"`      // connections that failed mid-run
}

// Messages is the outcome of a pub/sub scenario. Deliveries are counted per subscriber, so in
// fanout and mesh one publish is several deliveries.
type Messages struct {
	PublishSeconds float64 `json:"publish_seconds"` // first publish to the last publisher's end
	ElapsedSeconds float64 `json:"elapsed_seconds"` // first publish to the last delivery

	Published int64 `json:"published"`
	Acked     int64 `json:"acked,omitempty"`    // QoS 1 PUBACK / QoS 2 PUBREC received
	Rejected  int64 `json:"rejected,omitempty"` // 5.0 acks with a failure reason code
	Expected  int64 `json:"expected"`           // deliveries due: published × subscribers each
	Delivered int64 `json:"delivered"`          // distinct (publisher, sequence) per subscriber

	Duplicates int64 `json:"duplicates"`
	Foreign    int64 `json:"foreign,omitempty"` // deliveries not from this run's publishers
	// UnexpectedAcks counts acks for packet ids not in flight.
	UnexpectedAcks int64 `json:"unexpected_acks,omitempty"`

	PublishedPerSec float64 `json:"published_per_sec"` // Published / PublishSeconds
	DeliveredPerSec float64 `json:"delivered_per_sec"` // Delivered / ElapsedSeconds

	Latency Latency  `json:"latency"` // publish to delivery, first deliveries only
	Loss    Loss     `json:"loss"`
	Verdict *Verdict `json:"verdict,omitempty"` // QoS 1 and 2
}

// Loss splits the deliveries that never came. Gaps are missing below the highest sequence a
// subscriber got from a publisher (lost mid-stream); Tail is missing above it (never
// delivered by the end of the drain: at QoS 0 this includes what was still in the pipes).
type Loss struct {
	Gaps  int64 `json:"gaps"`
	Tail  int64 `json:"tail"`
	Total int64 `json:"total"`
}

// Verdict says, for QoS 1 and 2, whether every message the broker acknowledged reached every
// subscriber it was due to.
type Verdict struct {
	OK bool `json:"ok"`
	// AckedMissing counts (subscriber, acknowledged message) deliveries that never came.
	AckedMissing int64               `json:"acked_missing"`
	Subscribers  []SubscriberVerdict `json:"subscribers"`
}

// SubscriberVerdict is one subscriber's share of a Verdict.
type SubscriberVerdict struct {
	Client     string `json:"client"`
	Acked      int64  `json:"acked"`     // acknowledged messages due to it
	Delivered  int64  `json:"delivered"` // distinct messages it received
	Missing    int64  `json:"missing"`   // acknowledged but not received
	Duplicates int64  `json:"duplicates"`
	Gaps       int64  `json:"gaps"`
	Tail       int64  `json:"tail"`
}

// CPU is the generator's own CPU use over the measured phase (getrusage; with Selftest it
// includes the in-process Forwarder).
type CPU struct {
	Seconds float64 `json:"seconds"` // user + system
	// Percent is of one core; the machine has Cores.
	Percent float64 `json:"percent"`
	Cores   int     `json:"cores"`
	// MicrosPerMessage is CPU µs per delivered message (conn: per connection).
	MicrosPerMessage float64 `json:"us_per_message,omitempty"`
}

// BrokerProc is the broker process's CPU and memory, from /proc/PID.
type BrokerProc struct {
	PID        int     `json:"pid"`
	CPUSeconds float64 `json:"cpu_seconds"` // user + system over the measured phase
	CPUPercent float64 `json:"cpu_percent"` // of one core
	// MicrosPerMessage is broker CPU µs per delivered message (conn: per connection).
	MicrosPerMessage float64 `json:"us_per_message,omitempty"`
	RSSKB            int64   `json:"rss_kb"`      // at the end of the run
	PeakRSSKB        int64   `json:"peak_rss_kb"` // VmHWM: the process's peak so far
}

// IdleResult is the outcome of the idle scenario.
type IdleResult struct {
	Connections  int     `json:"connections"` // requested
	Established  int     `json:"established"` // CONNACKed (and SUBACKed with Subscribe)
	Alive        int     `json:"alive"`       // answered PINGREQ after the hold
	Subscribed   bool    `json:"subscribed"`
	SetupSeconds float64 `json:"setup_seconds"`
	HoldSeconds  float64 `json:"hold_seconds"`
	// RSSBeforeKB and RSSAfterKB are the broker's VmRSS before the first connection and at
	// the end of the hold; PerConnectionKB is their difference over Established.
	RSSBeforeKB     int64   `json:"rss_before_kb,omitempty"`
	RSSAfterKB      int64   `json:"rss_after_kb,omitempty"`
	PerConnectionKB float64 `json:"per_connection_kb,omitempty"`
}

// ConnResult is the outcome of the conn scenario.
type ConnResult struct {
	Connections int64   `json:"connections"` // completed connect/CONNACK/disconnect rounds
	Failed      int64   `json:"failed"`
	Seconds     float64 `json:"seconds"`
	PerSec      float64 `json:"per_sec"`
	// Latency is dial to CONNACK.
	Latency Latency `json:"latency"`
}
