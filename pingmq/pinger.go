package pingmq

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"time"

	probing "github.com/prometheus-community/pro-bing"
	"golang.org/x/net/icmp"
)

// Pinger sends count echo requests to host (an IP address or a name to resolve) within
// timeout and reports what came back. A host that does not answer is not an error: it is
// Stats with Recv == 0. An error means the round could not be run (name did not resolve,
// socket failed); the host is then reported offline with the error text. The Monitor calls a
// Pinger from up to Config.Concurrency goroutines at once.
type Pinger func(ctx context.Context, host string, count int, timeout time.Duration) (Stats, error)

// Stats is the outcome of one round of echo requests to one host.
type Stats struct {
	// Addr is the IP address that was pinged.
	Addr string
	// Sent and Recv count echo requests sent and (non-duplicate) replies received.
	Sent, Recv int
	// MinRTT, AvgRTT and MaxRTT summarise the replies' round-trip times; zero when Recv is 0.
	MinRTT, AvgRTT, MaxRTT time.Duration
	// TTL is the IP TTL (hop limit) of the last reply; zero when Recv is 0.
	TTL int
	// Replies lists the replies in arrival order.
	Replies []Reply
}

// Reply is one echo reply.
type Reply struct {
	// Seq is the ICMP sequence number, starting at 0 for a round's first request.
	Seq int
	// Bytes is the size of the ICMP reply message.
	Bytes int
	// TTL is the reply's IP TTL.
	TTL int
	// RTT is its round-trip time.
	RTT time.Duration
}

// NewICMPPinger returns the real Pinger: github.com/prometheus-community/pro-bing over a raw
// ICMP socket (privileged) or a ping socket (unprivileged), with pingInterval between requests.
// Host names are resolved with ctx, an IPv4 address preferred. logger (nil: discard) receives
// pro-bing's own messages at debug level.
func NewICMPPinger(privileged bool, pingInterval time.Duration, logger *slog.Logger) Pinger {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	pl := probingLogger{logger}
	return func(ctx context.Context, host string, count int, timeout time.Duration) (Stats, error) {
		ip, err := resolve(ctx, host, timeout)
		if err != nil {
			return Stats{}, err
		}
		p := probing.New(ip.String())
		p.SetIPAddr(&net.IPAddr{IP: ip.AsSlice(), Zone: ip.Zone()})
		p.SetPrivileged(privileged)
		p.SetLogger(pl)
		p.Count = count
		p.Interval = pingInterval
		p.Timeout = timeout
		p.RecordRtts = false
		p.RecordTTLs = false
		var replies []Reply // appended by pro-bing's run loop; read after RunWithContext returns
		p.OnRecv = func(pkt *probing.Packet) {
			replies = append(replies, Reply{Seq: pkt.Seq, Bytes: pkt.Nbytes, TTL: pkt.TTL, RTT: pkt.Rtt})
		}
		if err := p.RunWithContext(ctx); err != nil {
			return Stats{Addr: ip.String()}, fmt.Errorf("ping %s: %w", host, err)
		}
		s := p.Statistics()
		st := Stats{
			Addr:    ip.String(),
			Sent:    s.PacketsSent,
			Recv:    s.PacketsRecv,
			Replies: replies,
		}
		if st.Recv > 0 {
			st.MinRTT, st.AvgRTT, st.MaxRTT = s.MinRtt, s.AvgRtt, s.MaxRtt
		}
		if len(replies) > 0 {
			st.TTL = replies[len(replies)-1].TTL
		}
		return st, nil
	}
}

// resolve returns host's address: host itself when it is an IP address, else the first IPv4
// address its name resolves to (or the first address when it has no IPv4 address).
func resolve(ctx context.Context, host string, timeout time.Duration) (netip.Addr, error) {
	if a, err := netip.ParseAddr(host); err == nil {
		return a, nil
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	addrs, err := net.DefaultResolver.LookupNetIP(ctx, "ip", host)
	if err != nil {
		return netip.Addr{}, fmt.Errorf("resolve %s: %w", host, err)
	}
	if len(addrs) == 0 {
		return netip.Addr{}, fmt.Errorf("resolve %s: no addresses", host)
	}
	for _, a := range addrs {
		if a.Unmap().Is4() {
			return a.Unmap(), nil
		}
	}
	return addrs[0], nil
}

// probeICMP opens and closes the IPv4 ICMP socket pro-bing would use in that mode.
func probeICMP(privileged bool) error {
	network := "udp4"
	if privileged {
		network = "ip4:icmp"
	}
	c, err := icmp.ListenPacket(network, "0.0.0.0")
	if err != nil {
		return err
	}
	return c.Close()
}

// probingLogger forwards pro-bing's messages to slog at debug level (pro-bing logs every
// failed send as "Fatalf" and carries on).
type probingLogger struct{ l *slog.Logger }

func (p probingLogger) debugf(format string, v []any) {
	if p.l.Enabled(context.Background(), slog.LevelDebug) {
		p.l.Debug("pro-bing: " + fmt.Sprintf(format, v...))
	}
}

func (p probingLogger) Fatalf(format string, v ...any) { p.debugf(format, v) }
func (p probingLogger) Errorf(format string, v ...any) { p.debugf(format, v) }
func (p probingLogger) Warnf(format string, v ...any)  { p.debugf(format, v) }
func (p probingLogger) Infof(format string, v ...any)  { p.debugf(format, v) }
func (p probingLogger) Debugf(format string, v ...any) { p.debugf(format, v) }
