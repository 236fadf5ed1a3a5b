package broker

import "sync/atomic"

// stats are the broker's counters, read by $SYS. All 64-bit counters are atomic types so
// they stay aligned on 32-bit ARM.
type stats struct {
	connections      atomic.Int64  // open network connections
	clientsConnected atomic.Int64  // connections past CONNECT
	clientsTotal     atomic.Int64  // ever connected
	clientsMaximum   atomic.Int64  // most connected at once
	disconnects      atomic.Int64  // connections past CONNECT that ended
	messagesReceived atomic.Uint64 // PUBLISH received
	messagesSent     atomic.Uint64 // PUBLISH sent
	packetsReceived  atomic.Uint64
	packetsSent      atomic.Uint64
	bytesReceived    atomic.Uint64
	bytesSent        atomic.Uint64
	dropped          atomic.Uint64 // messages dropped: queue full, QoS 0 to a full connection
	noSubscribers    atomic.Uint64 // publishes that matched nobody
	queued           atomic.Int64  // messages waiting in session queues
	slowConsumers    atomic.Uint64 // connections closed because writes timed out
	parked           atomic.Int64  // idle connections waiting without a read buffer
	stalls           atomic.Uint64 // times a publisher was held back by a congested subscriber
}

// noteMaxClients raises clientsMaximum to the current number of connected clients.
func (s *stats) noteMaxClients() {
	n := s.clientsConnected.Load()
	for {
		m := s.clientsMaximum.Load()
		if n <= m || s.clientsMaximum.CompareAndSwap(m, n) {
			return
		}
	}
}

// Stats is a snapshot of the broker's counters.
type Stats struct {
	Connections      int64  // open network connections
	ClientsConnected int64  // clients past CONNECT
	ClientsTotal     int64  // clients connected since start
	ClientsMaximum   int64  // most clients connected at once
	MessagesReceived uint64 // PUBLISH packets received
	MessagesSent     uint64 // PUBLISH packets sent
	BytesReceived    uint64
	BytesSent        uint64
	Dropped          uint64 // messages dropped by a full queue or a full connection
	Queued           int64  // messages waiting in session queues
	SlowConsumers    uint64 // connections closed because the client stopped reading
	Subscriptions    int    // (filter, client) pairs
	Retained         int    // retained messages
	Sessions         int    // sessions, connected or not
}

// Stats returns a snapshot of the broker's counters.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	nsess := len(s.sessions)
	s.mu.Unlock()
	st := &s.stats
	return Stats{
		Connections:      st.connections.Load(),
		ClientsConnected: st.clientsConnected.Load(),
		ClientsTotal:     st.clientsTotal.Load(),
		ClientsMaximum:   st.clientsMaximum.Load(),
		MessagesReceived: st.messagesReceived.Load(),
		MessagesSent:     st.messagesSent.Load(),
		BytesReceived:    st.bytesReceived.Load(),
		BytesSent:        st.bytesSent.Load(),
		Dropped:          st.dropped.Load(),
		Queued:           st.queued.Load(),
		SlowConsumers:    st.slowConsumers.Load(),
		Subscriptions:    s.subs.Len(),
		Retained:         s.retained.len(),
		Sessions:         nsess,
	}
}
