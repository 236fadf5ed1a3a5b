package broker

import (
	"math"
	"strconv"
	"time"
)

// sysLoop publishes the $SYS topics every SysInterval until Shutdown, with the names
// Mosquitto's monitoring users read.
func (s *Server) sysLoop() {
	defer s.wg.Done()
	s.publishStatic()
	t := time.NewTicker(s.opts.SysInterval)
	defer t.Stop()
	l := newLoads(s.opts.SysInterval)
	var r router
	s.publishSys(l, &r)
	for {
		select {
		case <-s.ctx.Done():
			return
		case <-t.C:
			s.publishSys(l, &r)
		}
	}
}

// publishStatic publishes the topics that never change.
func (s *Server) publishStatic() {
	var r router
	s.sysPublish(&r, "$SYS/broker/version", s.opts.Version)
}

// sysPublish publishes one retained $SYS value.
func (s *Server) sysPublish(r *router, name, value string) {
	s.publish(&Message{Topic: name, Payload: []byte(value), Retain: true}, nil, r)
}

// publishSys publishes the counters and their load averages.
func (s *Server) publishSys(l *loads, r *router) {
	st := s.Stats()
	u := func(v uint64) string { return strconv.FormatUint(v, 10) }
	i := func(v int64) string { return strconv.FormatInt(v, 10) }
	up := int64(time.Since(s.start) / time.Second)
	pairs := [...][2]string{
		{"$SYS/broker/uptime", i(up) + " seconds"},
		{"$SYS/broker/clients/connected", i(st.ClientsConnected)},
		{"$SYS/broker/clients/active", i(st.ClientsConnected)},
		{"$SYS/broker/clients/disconnected", i(max(int64(st.Sessions)-st.ClientsConnected, 0))},
		{"$SYS/broker/clients/total", i(int64(st.Sessions))},
		{"$SYS/broker/clients/maximum", i(st.ClientsMaximum)},
		{"$SYS/broker/messages/received", u(st.MessagesReceived)},
		{"$SYS/broker/messages/sent", u(st.MessagesSent)},
		{"$SYS/broker/messages/stored", i(st.Queued + int64(st.Retained))},
		{"$SYS/broker/store/messages/count", i(st.Queued + int64(st.Retained))},
		{"$SYS/broker/publish/messages/dropped", u(st.Dropped)},
		{"$SYS/broker/publish/messages/received", u(st.MessagesReceived)},
		{"$SYS/broker/publish/messages/sent", u(st.MessagesSent)},
		{"$SYS/broker/bytes/received", u(st.BytesReceived)},
		{"$SYS/broker/bytes/sent", u(st.BytesSent)},
		{"$SYS/broker/subscriptions/count", i(int64(st.Subscriptions))},
		{"$SYS/broker/retained messages/count", i(int64(st.Retained))},
	}
	for _, p := range pairs {
		s.sysPublish(r, p[0], p[1])
	}
	l.update(st)
	for _, p := range l.topics() {
		s.sysPublish(r, p[0], p[1])
	}
}

// loads keeps Mosquitto-style 1, 5 and 15 minute exponential moving averages of per-minute
// rates ($SYS/broker/load/...).
type loads struct {
	interval time.Duration
	prev     [5]float64    // last counter values
	avg      [5][3]float64 // per counter: 1min, 5min, 15min
	primed   bool
}

func newLoads(interval time.Duration) *loads { return &loads{interval: interval} }

// update folds the counters of one interval into the averages.
func (l *loads) update(st Stats) {
	cur := [5]float64{float64(st.MessagesReceived), float64(st.MessagesSent), float64(st.BytesReceived), float64(st.BytesSent), float64(st.ClientsTotal)}
	if l.primed {
		perMin := time.Minute.Seconds() / l.interval.Seconds()
		for k := range cur {
			rate := (cur[k] - l.prev[k]) * perMin
			for j, window := range [3]float64{1, 5, 15} {
				alpha := 1 - math.Exp(-l.interval.Minutes()/window)
				l.avg[k][j] += alpha * (rate - l.avg[k][j])
			}
		}
	}
	l.prev, l.primed = cur, true
}

// topics returns the load topics and their values, two decimals as Mosquitto prints them.
func (l *loads) topics() [][2]string {
	out := make([][2]string, 0, 15)
	names := [5]string{"messages/received", "messages/sent", "bytes/received", "bytes/sent", "connections"}
	for k, name := range names {
		for j, w := range [3]string{"1min", "5min", "15min"} {
			out = append(out, [2]string{"$SYS/broker/load/" + name + "/" + w, strconv.FormatFloat(l.avg[k][j], 'f', 2, 64)})
		}
	}
	return out
}
