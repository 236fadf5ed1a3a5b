package pingmq

import (
	"fmt"
	"math"
	"time"
)

// The host states.
const (
	Online  = "online"
	Offline = "offline"
)

// TimeFormat is the RFC 3339 layout of the since and ts fields (UTC, milliseconds).
const TimeFormat = "2006-01-02T15:04:05.000Z07:00"

// State is the retained JSON document on <prefix>/ping/<host>, published after every round.
// The fields mean what Telegraf's ping input means by them.
type State struct {
	// State is "online" when at least one reply came back, else "offline".
	State string `json:"state"`
	// RTTms, RTTMinMs and RTTMaxMs are the average, minimum and maximum round-trip times in
	// milliseconds (Telegraf average_response_ms, minimum_response_ms, maximum_response_ms);
	// null when no reply came back.
	RTTms    *float64 `json:"rtt_ms"`
	RTTMinMs *float64 `json:"rtt_min_ms"`
	RTTMaxMs *float64 `json:"rtt_max_ms"`
	// LossPct is the percentage of requests without a reply (percent_packet_loss); 100 when
	// nothing could be sent.
	LossPct float64 `json:"loss_pct"`
	// Sent and Recv count requests and replies (packets_transmitted, packets_received).
	Sent int `json:"sent"`
	Recv int `json:"recv"`
	// TTL is the IP TTL of the last reply (ttl); null when no reply came back.
	TTL *int `json:"ttl"`
	// IP is the address pinged (the resolved address of a host name); omitted when a name did
	// not resolve.
	IP string `json:"ip,omitempty"`
	// Error says why the round could not run (e.g. the name did not resolve); omitted normally.
	Error string `json:"error,omitempty"`
	// Since is when the host entered State, as first seen by this monitor (TimeFormat).
	Since string `json:"since"`
	// TS is when this report was made (TimeFormat).
	TS string `json:"ts"`
}

// Event is the JSON document on <prefix>/ping/<host>/event (not retained), published when a
// host's state changes. A host's first report is not a change and publishes no event.
type Event struct {
	// Host is the host as it appears in the topic.
	Host string `json:"host"`
	// IP is the address pinged, when known.
	IP string `json:"ip,omitempty"`
	// State is the new state, Previous the old one.
	State    string `json:"state"`
	Previous string `json:"previous"`
	// PreviousSince is when the host entered Previous (TimeFormat).
	PreviousSince string `json:"previous_since"`
	// DurationS is how long the host was in Previous, in seconds.
	DurationS float64 `json:"duration_s"`
	// TS is when the change was seen (TimeFormat).
	TS string `json:"ts"`
}

func formatTime(t time.Time) string { return t.UTC().Format(TimeFormat) }

// ms converts d to milliseconds rounded to the microsecond.
func ms(d time.Duration) float64 { return math.Round(float64(d)/1e3) / 1e3 }

func newState(st Stats, err error, state string, since, now time.Time) State {
	s := State{
		State:   state,
		LossPct: 100,
		Sent:    st.Sent,
		Recv:    st.Recv,
		IP:      st.Addr,
		Since:   formatTime(since),
		TS:      formatTime(now),
	}
	if err != nil {
		s.Error = err.Error()
	}
	if st.Sent > 0 {
		s.LossPct = math.Round(float64(st.Sent-st.Recv)/float64(st.Sent)*1e4) / 100
		if s.LossPct < 0 { // duplicates counted as replies by a custom Pinger
			s.LossPct = 0
		}
	}
	if st.Recv > 0 {
		s.RTTms, s.RTTMinMs, s.RTTMaxMs = new(ms(st.AvgRTT)), new(ms(st.MinRTT)), new(ms(st.MaxRTT))
		s.TTL = new(st.TTL)
	}
	return s
}

// legacySuccess is the text the 2014 pingmq published on /ping/success/<ip>. pro-bing does
// not report the reply's TOS byte, so tos is always 0; seq counts from 1 like the old tool.
func legacySuccess(ip string, r Reply) string {
	return fmt.Sprintf("%d bytes from %s: seq=%d ttl=%d tos=0 time=%.2fms", r.Bytes, ip, r.Seq+1, r.TTL, ms(r.RTT))
}

// legacyFailure is the text the 2014 pingmq published on /ping/failure/<ip>.
func legacyFailure(ip string, seq int) string {
	return fmt.Sprintf("%s: Request timed out for seq %d", ip, seq+1)
}
