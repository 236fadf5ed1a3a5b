package gateway

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
	"github.com/stretchr/testify/require"

	"github.com/lonelyleaf/surgemq/adapters"
	"github.com/lonelyleaf/surgemq/mqtt/mqtttest"
	"github.com/lonelyleaf/surgemq/pingmq"
)

const wait = 10 * time.Second

// testLogger logs to a buffer the test can read (and prints it when the test fails).
func testLogger(t *testing.T) (*slog.Logger, *mqtttest.Buffer) {
	t.Helper()
	buf := &mqtttest.Buffer{}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("gateway log:\n%s", buf)
		}
	})
	return slog.New(slog.NewTextHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug})), buf
}

// running is a Gateway started by startGateway.
type running struct {
	*Gateway
	addr string
	log  *mqtttest.Buffer
	stop func() error // cancels Run and returns its result
}

// startGateway runs a gateway for cfg until the test ends, and waits until it is ready.
func startGateway(t *testing.T, cfg Config, opts ...Option) *running {
	t.Helper()
	logger, buf := testLogger(t)
	g, err := New(cfg, logger, opts...)
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- g.Run(ctx) }()
	select {
	case <-g.Ready():
	case err := <-done:
		cancel()
		t.Fatalf("Run failed before ready: %v", err)
	case <-time.After(wait):
		cancel()
		t.Fatal("gateway not ready")
	}
	var once sync.Once
	var runErr error
	stop := func() error {
		once.Do(func() {
			cancel()
			select {
			case runErr = <-done:
			case <-time.After(2 * wait):
				runErr = fmt.Errorf("Run did not return")
			}
		})
		return runErr
	}
	t.Cleanup(func() { require.NoError(t, stop()) })
	addrs := g.Addrs()
	require.NotEmpty(t, addrs)
	return &running{Gateway: g, addr: addrs[0].String(), log: buf, stop: stop}
}

// localConfig is a config listening on a free loopback port, without $SYS and adapters.
func localConfig() Config {
	c := base()
	c.Broker.Listeners = []string{"127.0.0.1:0"}
	c.Broker.SysInterval = adapters.D(0)
	return c
}

// laptop is an MQTT client over TCP recording what it receives, by topic.
type laptop struct {
	paho.Client
	mu     sync.Mutex
	last   map[string]string // topic → last payload
	seq    []string          // "topic payload" in arrival order
	lost   chan error
	notify chan struct{}
}

// connectLaptop connects a paho client to addr and subscribes it to filter.
func connectLaptop(t *testing.T, addr, id, filter string) *laptop {
	t.Helper()
	l := &laptop{last: make(map[string]string), lost: make(chan error, 1), notify: make(chan struct{}, 1)}
	o := paho.NewClientOptions().AddBroker("tcp://" + addr).SetClientID(id).
		SetAutoReconnect(false).SetConnectRetry(false).SetProtocolVersion(4).SetOrderMatters(true).
		SetConnectionLostHandler(func(_ paho.Client, err error) {
			select {
			case l.lost <- err:
			default:
			}
		})
	l.Client = paho.NewClient(o)
	tok := l.Connect()
	require.True(t, tok.WaitTimeout(wait), "connect")
	require.NoError(t, tok.Error())
	t.Cleanup(func() { l.Disconnect(100) })
	if filter != "" {
		tok = l.Subscribe(filter, 1, func(_ paho.Client, m paho.Message) {
			l.mu.Lock()
			l.last[m.Topic()] = string(m.Payload())
			l.seq = append(l.seq, m.Topic()+" "+string(m.Payload()))
			l.mu.Unlock()
			select {
			case l.notify <- struct{}{}:
			default:
			}
		})
		require.True(t, tok.WaitTimeout(wait), "subscribe")
		require.NoError(t, tok.Error())
	}
	return l
}

// get returns the last payload received on topic.
func (l *laptop) get(topic string) (string, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	v, ok := l.last[topic]
	return v, ok
}

// waitFor waits until the last payload on topic is want.
func (l *laptop) waitFor(t *testing.T, topic, want string) {
	t.Helper()
	deadline := time.After(wait)
	for {
		if v, _ := l.get(topic); v == want {
			return
		}
		select {
		case <-l.notify:
		case <-time.After(20 * time.Millisecond): // the notify channel holds one wake-up
		case <-deadline:
			v, ok := l.get(topic)
			t.Fatalf("%s: have %q (received: %v), want %q", topic, v, ok, want)
		}
	}
}

// publish publishes at QoS 1 and waits for PUBACK.
func (l *laptop) publish(t *testing.T, topic, payload string) {
	t.Helper()
	tok := l.Publish(topic, 1, false, payload)
	require.True(t, tok.WaitTimeout(wait), "publish")
	require.NoError(t, tok.Error())
}

// connected checks that the client lost no connection.
func (l *laptop) connected(t *testing.T) {
	t.Helper()
	select {
	case err := <-l.lost:
		t.Fatalf("client connection lost: %v", err)
	default:
	}
	require.True(t, l.IsConnectionOpen())
}

// fakeNet is a Pinger over a made-up network: hosts in up answer, every other host is
// silent. It never sends a packet.
type fakeNet struct {
	mu    sync.Mutex
	up    map[string]bool
	calls map[string]int
}

func newFakeNet(up ...string) *fakeNet {
	f := &fakeNet{up: make(map[string]bool), calls: make(map[string]int)}
	for _, h := range up {
		f.up[h] = true
	}
	return f
}

func (f *fakeNet) ping(ctx context.Context, host string, count int, timeout time.Duration) (pingmq.Stats, error) {
	f.mu.Lock()
	f.calls[host]++
	up := f.up[host]
	f.mu.Unlock()
	st := pingmq.Stats{Addr: host, Sent: count}
	if up {
		st.Recv, st.AvgRTT, st.MinRTT, st.MaxRTT, st.TTL = count, time.Millisecond, time.Millisecond, time.Millisecond, 64
	}
	return st, nil
}

func (f *fakeNet) count(host string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[host]
}

// pingerRegistry is Registry() whose ping monitors use pinger.
func pingerRegistry(pinger pingmq.Pinger) *adapters.Registry {
	r := Registry()
	r.Set("ping", func(cfg any, l *slog.Logger) (adapters.Adapter, error) {
		m, err := pingmq.New(cfg.(pingmq.Config), l)
		if err != nil {
			return nil, err
		}
		m.Pinger = pinger
		return m, nil
	})
	return r
}

// fastPing is a ping table for targets with a short interval.
func fastPing(targets ...string) pingmq.Config {
	p := pingDefault()
	p.Targets = targets
	p.Interval = adapters.D(50 * time.Millisecond)
	p.Count = 1
	p.Timeout = adapters.D(time.Second)
	return p
}
