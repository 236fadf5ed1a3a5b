package bench

import (
	"fmt"
	"io"
	"strconv"
	"strings"
)

// maxVerdictLines is how many subscribers with missing messages WriteText lists.
const maxVerdictLines = 10

// WriteText writes the report for a person: one line per aspect.
func (r *Report) WriteText(w io.Writer) error {
	var b strings.Builder
	line := func(label, format string, args ...any) {
		fmt.Fprintf(&b, "%-10s %s\n", label, fmt.Sprintf(format, args...))
	}
	target := r.Addr
	if r.Selftest {
		target += " (selftest forwarder)"
	}
	shape := fmt.Sprintf("%d clients", r.Clients)
	if r.Messages != nil {
		shape = fmt.Sprintf("%d publishers → %d subscribers, %d-byte payloads", r.Publishers, r.Subscribers, r.Size)
		if r.Rate > 0 {
			shape += fmt.Sprintf(", %s msg/s per publisher", count(int64(r.Rate)))
		}
		if r.Inflight > 0 {
			shape += fmt.Sprintf(", window %d", r.Inflight)
		}
	}
	line("scenario", "%s  qos %d  mqtt %s  %s  broker %s", r.Scenario, r.QoS, versionName(r.Version), shape, target)
	if m := r.Messages; m != nil {
		writeMessages(line, m)
	}
	if i := r.Idle; i != nil {
		sub := "no subscription"
		if i.Subscribed {
			sub = "one subscription each"
		}
		line("idle", "%d of %d connections established (%s) in %.2f s, %d alive after %.1f s",
			i.Established, i.Connections, sub, i.SetupSeconds, i.Alive, i.HoldSeconds)
		if i.RSSAfterKB > 0 {
			line("memory", "broker RSS %s KB before, %s KB after: %.2f KB per connection",
				count(i.RSSBeforeKB), count(i.RSSAfterKB), i.PerConnectionKB)
		}
	}
	if c := r.Conn; c != nil {
		line("conn", "%s connections (%d failed) in %.2f s = %s conn/s", count(c.Connections), c.Failed, c.Seconds, count(int64(c.PerSec)))
		line("latency", "dial to CONNACK: %s", latencyText(c.Latency))
	}
	cpu := fmt.Sprintf("CPU %.2f s = %.0f%% of one core (%d cores)", r.CPU.Seconds, r.CPU.Percent, r.CPU.Cores)
	if r.CPU.MicrosPerMessage > 0 {
		cpu += fmt.Sprintf(", %.2f µs per %s", r.CPU.MicrosPerMessage, unit(r))
	}
	line("generator", "%s", cpu)
	if p := r.Broker; p != nil {
		s := fmt.Sprintf("pid %d: CPU %.2f s = %.0f%% of one core", p.PID, p.CPUSeconds, p.CPUPercent)
		if p.MicrosPerMessage > 0 {
			s += fmt.Sprintf(", %.2f µs per %s", p.MicrosPerMessage, unit(r))
		}
		s += fmt.Sprintf("; RSS %s KB (peak %s KB)", count(p.RSSKB), count(p.PeakRSSKB))
		line("broker", "%s", s)
	}
	if r.Interrupted {
		line("note", "interrupted: the figures cover the run until then")
	}
	for _, e := range r.Errors {
		line("error", "%s", e)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func writeMessages(line func(label, format string, args ...any), m *Messages) {
	acked := ""
	if m.Acked > 0 || m.Verdict != nil {
		acked = fmt.Sprintf(" (%s acknowledged", count(m.Acked))
		if m.Rejected > 0 {
			acked += fmt.Sprintf(", %s rejected", count(m.Rejected))
		}
		acked += ")"
	}
	line("published", "%s in %.2f s = %s msg/s%s", count(m.Published), m.PublishSeconds, count(int64(m.PublishedPerSec)), acked)
	line("delivered", "%s of %s in %.2f s = %s msg/s", count(m.Delivered), count(m.Expected), m.ElapsedSeconds, count(int64(m.DeliveredPerSec)))
	line("latency", "%s", latencyText(m.Latency))
	loss := fmt.Sprintf("%s (%s mid-stream gaps, %s undelivered tail)  duplicates %s",
		count(m.Loss.Total), count(m.Loss.Gaps), count(m.Loss.Tail), count(m.Duplicates))
	if m.Foreign > 0 {
		loss += fmt.Sprintf("  foreign %s", count(m.Foreign))
	}
	if m.UnexpectedAcks > 0 {
		loss += fmt.Sprintf("  unexpected acks %s", count(m.UnexpectedAcks))
	}
	line("loss", "%s", loss)
	v := m.Verdict
	if v == nil {
		return
	}
	if v.OK {
		line("verdict", "OK: every acknowledged message reached every subscriber due to get it (%d subscribers)", len(v.Subscribers))
		return
	}
	line("verdict", "FAIL: %s acknowledged deliveries missing", count(v.AckedMissing))
	shown := 0
	for _, s := range v.Subscribers {
		if s.Missing == 0 {
			continue
		}
		if shown == maxVerdictLines {
			line("", "…")
			break
		}
		shown++
		line("", "%s: %s of %s acknowledged missing (%s gaps, %s tail)", s.Client, count(s.Missing), count(s.Acked), count(s.Gaps), count(s.Tail))
	}
}

func latencyText(l Latency) string {
	if l.Count == 0 {
		return "no samples"
	}
	return fmt.Sprintf("p50 %s  p99 %s  p99.9 %s  max %s  (mean %s, %s samples)",
		micros(l.P50), micros(l.P99), micros(l.P999), micros(l.Max), micros(l.Mean), count(int64(l.Count)))
}

func unit(r *Report) string {
	if r.Conn != nil {
		return "connection"
	}
	return "delivered message"
}

func versionName(v int) string {
	switch v {
	case 3:
		return "3.1"
	case 4:
		return "3.1.1"
	case 5:
		return "5.0"
	}
	return strconv.Itoa(v)
}

// micros formats microseconds with a fitting unit.
func micros(us float64) string {
	switch {
	case us >= 1e6:
		return strconv.FormatFloat(us/1e6, 'f', 2, 64) + " s"
	case us >= 1e3:
		return strconv.FormatFloat(us/1e3, 'f', 2, 64) + " ms"
	default:
		return strconv.FormatFloat(us, 'f', 0, 64) + " µs"
	}
}

// count formats n with thousands separators.
func count(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := n < 0
	if neg {
		s = s[1:]
	}
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i, ch := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(ch)
	}
	return b.String()
}
