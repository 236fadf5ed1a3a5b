package mqtt

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// waitTimeout bounds every wait for a message or an event in these tests.
const waitTimeout = 10 * time.Second

// testCtx returns a context that ends with the test or after a minute.
func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// dialTest connects to url and disconnects in t.Cleanup.
func dialTest(t *testing.T, url string, opts Options) *Client {
	t.Helper()
	if opts.Backoff == nil {
		opts.Backoff = func(int) time.Duration { return 20 * time.Millisecond }
	}
	c, err := Dial(testCtx(t), url, opts)
	require.NoError(t, err)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = c.Disconnect(ctx)
	})
	return c
}

// mqttURL returns the mqtt:// URL of b's TCP listener.
func mqttURL(b testBroker) string { return "mqtt://" + b.Addr() }

// clientID returns an id unique to the test.
func clientID(suffix string) string {
	return fmt.Sprintf("t%d-%s", time.Now().UnixNano()%1e9, suffix)
}

// sink collects messages from a Handler.
type sink struct {
	ch chan *Message
}

func newSink() *sink { return &sink{ch: make(chan *Message, 10000)} }

func (s *sink) handle(m *Message) { s.ch <- m }

// next returns the next message, failing the test after waitTimeout.
func (s *sink) next(t *testing.T) *Message {
	t.Helper()
	select {
	case m := <-s.ch:
		return m
	case <-time.After(waitTimeout):
		t.Fatal("timed out waiting for a message")
		return nil
	}
}

// until collects messages up to and including the first on topic marker and returns those
// before it. Used to prove a message did not arrive: the server delivers in order, so anything
// published before the marker arrives before it.
func (s *sink) until(t *testing.T, marker string) []*Message {
	t.Helper()
	var got []*Message
	for {
		m := s.next(t)
		if m.Topic == marker {
			return got
		}
		got = append(got, m)
	}
}

// drain returns the messages already received.
func (s *sink) drain() []*Message {
	var got []*Message
	for {
		select {
		case m := <-s.ch:
			got = append(got, m)
		default:
			return got
		}
	}
}

// states records StateChange events.
type states struct {
	mu     sync.Mutex
	events []StateChange
	ch     chan StateChange
}

func newStates() *states { return &states{ch: make(chan StateChange, 1000)} }

func (s *states) record(e StateChange) {
	s.mu.Lock()
	s.events = append(s.events, e)
	s.mu.Unlock()
	s.ch <- e
}

// waitFor returns the next event in state st.
func (s *states) waitFor(t *testing.T, st State) StateChange {
	t.Helper()
	deadline := time.After(waitTimeout)
	for {
		select {
		case e := <-s.ch:
			if e.State == st {
				return e
			}
		case <-deadline:
			t.Fatalf("timed out waiting for state %v", st)
		}
	}
}

func (s *states) count(st State) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, e := range s.events {
		if e.State == st {
			n++
		}
	}
	return n
}
