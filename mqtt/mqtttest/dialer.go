package mqtttest

import (
	"context"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
)

// Dialer dials TCP and remembers the connections it opens, so a test can cut them all at
// once, as a network failure would, and refuse further dials while the "network" is down. It
// has the DialContext method of *net.Dialer that the mqtt client's Options.Dialer asks for.
// The zero value is ready to use.
type Dialer struct {
	d       net.Dialer
	blocked atomic.Bool
	dials   atomic.Int64

	mu    sync.Mutex
	conns []net.Conn
}

// DialContext connects to addr unless the dialer is blocked.
func (d *Dialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	d.dials.Add(1)
	if d.blocked.Load() {
		return nil, fmt.Errorf("dial %s: blocked by the test", addr)
	}
	c, err := d.d.DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	d.mu.Lock()
	d.conns = append(d.conns, c)
	d.mu.Unlock()
	return c, nil
}

// Cut closes every connection opened so far, without an MQTT DISCONNECT.
func (d *Dialer) Cut() {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, c := range d.conns {
		_ = c.Close()
	}
	d.conns = nil
}

// Block makes later dials fail (true) or succeed again (false).
func (d *Dialer) Block(blocked bool) { d.blocked.Store(blocked) }

// Dials counts the calls to DialContext, blocked ones included.
func (d *Dialer) Dials() int64 { return d.dials.Load() }
