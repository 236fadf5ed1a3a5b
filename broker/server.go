package broker

import (
	"bufio"
	"context"
	"errors"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lonelyleaf/surgemq/mqtt/packet"
	"github.com/lonelyleaf/surgemq/mqtt/topic"
)

// Server is an MQTT broker. Create one with New, then call Serve for each listener (or
// ListenAndServe), and Shutdown to stop it.
//
// Lock order: Server.mu → session.mu → conn.outMu. Server.retained.mu and the subscription
// tree's lock are leaves, never held while taking another lock.
type Server struct {
	opts  Options
	log   *slog.Logger
	start time.Time

	subs     *topic.Tree[*session, subscription]
	persist  *persist // nil when persistence is off
	retained retainedStore
	stats    stats

	mu        sync.Mutex
	sessions  map[string]*session // by client id, connected or not
	conns     map[*conn]struct{}
	listeners map[net.Listener]struct{}
	inlines   map[*session]struct{} // in-process subscriptions
	inlineSeq atomic.Uint64
	closed    bool

	readers   sync.Pool     // *bufio.Reader of readBufferSize, lent to busy connections
	idleAfter time.Duration // quiet time after which a connection parks (idleReadRelease)

	ctx    context.Context // cancelled by Shutdown; parent of every goroutine's lifetime
	cancel context.CancelFunc
	wg     sync.WaitGroup // every goroutine the server started
}

// New validates opts and returns a Server ready to Serve.
func New(opts Options) (*Server, error) {
	o, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &Server{
		opts:      o,
		log:       o.Logger,
		start:     time.Now(),
		subs:      topic.NewTree[*session, subscription](),
		sessions:  make(map[string]*session),
		conns:     make(map[*conn]struct{}),
		listeners: make(map[net.Listener]struct{}),
		inlines:   make(map[*session]struct{}),
		idleAfter: idleReadRelease,
		ctx:       ctx,
		cancel:    cancel,
	}
	s.retained.init()
	if o.Persistence != nil {
		if err := s.openStore(*o.Persistence); err != nil {
			cancel()
			return nil, err
		}
	}
	s.readers.New = func() any { return bufio.NewReaderSize(nil, readBufferSize) }
	if o.SysInterval > 0 {
		s.wg.Add(1)
		go s.sysLoop()
	}
	s.wg.Add(1)
	go s.trimLoop()
	return s, nil
}

// ListenAndServe listens on the TCP address addr (":1883" when empty) and serves it. It
// blocks until the listener fails or Shutdown is called, and then returns ErrServerClosed.
func (s *Server) ListenAndServe(addr string) error {
	if addr == "" {
		addr = ":1883"
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	return s.Serve(l)
}

// Serve accepts MQTT connections on l until Shutdown is called or l fails; it always closes l.
// Serve may be called for several listeners at once. After Shutdown it returns ErrServerClosed.
func (s *Server) Serve(l net.Listener) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		l.Close()
		return ErrServerClosed
	}
	s.listeners[l] = struct{}{}
	s.wg.Add(1)
	s.mu.Unlock()
	defer s.wg.Done()
	defer func() {
		s.mu.Lock()
		delete(s.listeners, l)
		s.mu.Unlock()
		l.Close()
	}()

	var backoff time.Duration
	for {
		nc, err := l.Accept()
		if err != nil {
			if s.isClosed() {
				return ErrServerClosed
			}
			if isTemporary(err) {
				backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
				s.log.Warn("accept failed; retrying", "err", err, "in", backoff)
				select {
				case <-time.After(backoff):
					continue
				case <-s.ctx.Done():
					return ErrServerClosed
				}
			}
			return err
		}
		backoff = 0
		s.accept(nc)
	}
}

// isTemporary reports whether an Accept error is worth retrying (EMFILE, ECONNABORTED …).
func isTemporary(err error) bool {
	var t interface{ Temporary() bool }
	return errors.As(err, &t) && t.Temporary()
}

// accept registers a new network connection and starts its read loop.
func (s *Server) accept(nc net.Conn) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		nc.Close()
		return
	}
	c := newConn(s, nc)
	s.conns[c] = struct{}{}
	s.wg.Add(1)
	s.mu.Unlock()
	s.stats.connections.Add(1)
	go c.serve()
}

// removeConn forgets c once its goroutines are done with the server's maps.
func (s *Server) removeConn(c *conn) {
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
}

// isClosed reports whether Shutdown has begun.
func (s *Server) isClosed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closed
}

// Addrs returns the addresses of the listeners being served, e.g. to find the port of
// a listener on ":0".
func (s *Server) Addrs() []net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]net.Addr, 0, len(s.listeners))
	for l := range s.listeners {
		out = append(out, l.Addr())
	}
	return out
}

// Shutdown stops the server: it closes every listener and every connection (wills are not
// published: the clients did nothing wrong) and waits until all of the server's goroutines
// have returned or ctx ends, whichever comes first. It returns ctx.Err() if ctx ended first.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	if !s.closed {
		s.closed = true
		s.cancel()
		for l := range s.listeners {
			l.Close()
		}
		for c := range s.conns {
			c.shutdown()
		}
		for _, sess := range s.sessions {
			sess.mu.Lock()
			sess.stopExpiry()
			sess.stopWill() // a persisted will fires after the restart
			sess.mu.Unlock()
		}
	}
	s.mu.Unlock()
	s.closeInline()

	done := make(chan struct{})
	go func() {
		s.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		return s.persist.close()
	case <-ctx.Done():
		return ctx.Err()
	}
}

// version helpers used across files.
func isV5(v packet.Version) bool { return v >= packet.V5 }
