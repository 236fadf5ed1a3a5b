package mqtt

import (
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"time"

	"github.com/lonelyleaf/surgemq/mqtt/packet"
)

// Defaults applied by Dial to zero Options fields.
const (
	DefaultKeepAlive      = 60 * time.Second
	DefaultPingTimeout    = 10 * time.Second // Capped at the keepalive interval.
	DefaultConnectTimeout = 30 * time.Second
	DefaultQueueSize      = 1024 // Outgoing messages held while offline or over the server's quota.
	DefaultInboundQueue   = 64   // Received messages waiting for their handler.
)

// Dialer opens the network connection under MQTT. *net.Dialer implements it; tests and
// proxies plug in their own.
type Dialer interface {
	DialContext(ctx context.Context, network, address string) (net.Conn, error)
}

// Options configures a Client. The zero value of every field is a usable default.
type Options struct {
	// ClientID identifies the session. Empty lets the server assign one (3.1.1 and 5.0; with
	// 3.1.1 only for a clean session).
	ClientID string
	// Version is the protocol level: V31, V311 (default) or V5.
	Version Version
	// Username is sent when non-empty.
	Username string
	// Password is sent when non-nil.
	Password []byte
	// Will is published by the server if the connection ends without a DISCONNECT. Its
	// Properties carry the MQTT 5 will properties (WillDelay, MessageExpiry …).
	Will *Message

	// KeepAlive is the longest the client stays silent; a PINGREQ fills the gaps. Zero means
	// DefaultKeepAlive, negative disables keepalive. A server's Server Keep Alive (MQTT 5)
	// overrides it [MQTT-3.2.2-21].
	KeepAlive time.Duration
	// PingTimeout is how long the client waits for any packet after a PINGREQ before it
	// declares the connection dead. Zero means DefaultPingTimeout (at most KeepAlive).
	PingTimeout time.Duration
	// ConnectTimeout bounds each connection attempt: dial, TLS/WebSocket handshake and CONNACK.
	// Zero means DefaultConnectTimeout.
	ConnectTimeout time.Duration

	// KeepSession asks the server to resume the session of ClientID (clean session/clean start
	// = 0): subscriptions and queued QoS 1/2 messages survive disconnects.
	KeepSession bool
	// SessionExpiry (MQTT 5) is how long the server keeps the session after a disconnect. With
	// KeepSession and a zero SessionExpiry the session never expires, as in 3.1.1.
	SessionExpiry time.Duration
	// ConnectProperties (MQTT 5) are extra CONNECT properties (ReceiveMaximum,
	// RequestProblemInfo, User …). SessionExpiry and MaxPacketSize fill in their properties.
	// A TopicAliasMaximum lets the server send topic aliases, which the client resolves.
	ConnectProperties *Properties
	// MaxPacketSize rejects received packets larger than this many bytes; with MQTT 5 the
	// server is told so and does not send them. Zero means the protocol limit (256 MiB) —
	// small devices should set it.
	MaxPacketSize int

	// TLSConfig configures mqtts://, ssl://, tls:// and wss:// connections. Nil means the
	// system roots and the host name of the URL.
	TLSConfig *tls.Config
	// Dialer opens the TCP connection. Nil means a *net.Dialer.
	Dialer Dialer
	// WebSocketHeader holds extra HTTP headers for the ws:// and wss:// handshake.
	WebSocketHeader http.Header

	// DisableReconnect makes a lost connection final: waiting calls fail with
	// ErrConnectionLost and the client stays closed.
	DisableReconnect bool
	// Backoff returns the pause before reconnect attempt number attempt (0 for the first
	// attempt after a connection was lost). Nil means DefaultBackoff.
	Backoff func(attempt int) time.Duration
	// QueueSize bounds the outgoing messages held while disconnected or over the server's
	// Receive Maximum. Zero means DefaultQueueSize; negative means no queue: publishing while
	// disconnected waits for the connection (or fails, with FailFast).
	QueueSize int
	// FailFast makes Publish return ErrQueueFull instead of waiting for room in a full
	// queue, and Subscribe and Unsubscribe return ErrNotConnected instead of waiting for a
	// connection.
	FailFast bool

	// InboundQueue bounds the received messages waiting for their handler. When it is full the
	// client stops reading from the connection (TCP pushes back on the server); keepalive is
	// not affected. Zero means DefaultInboundQueue.
	InboundQueue int
	// DefaultHandler receives messages that match no subscription's filter (for example,
	// messages of a resumed session before Subscribe is called again). Nil drops them; they are
	// still acknowledged.
	DefaultHandler Handler
	// OnStateChange is called, on a goroutine of the client, each time the connection state
	// changes, including the first connection made by Dial. It must not block for long and must
	// not call Disconnect.
	OnStateChange func(StateChange)
	// Logger receives connection events at Debug and Info level. Nil discards them.
	Logger *slog.Logger
}

// State is a client's connection state.
type State int

// The connection states reported in StateChange.
const (
	StateConnected    State = iota + 1 // A connection is up.
	StateDisconnected                  // The connection was lost or an attempt failed; the client will retry.
	StateClosed                        // Disconnect was called, or the connection ended with DisableReconnect.
)

// String returns "connected", "disconnected" or "closed".
func (s State) String() string {
	switch s {
	case StateConnected:
		return "connected"
	case StateDisconnected:
		return "disconnected"
	case StateClosed:
		return "closed"
	}
	return fmt.Sprintf("State(%d)", int(s))
}

// StateChange reports one change of connection state.
type StateChange struct {
	State State
	// Err says why a connection ended or an attempt failed; nil for StateConnected and for a
	// StateClosed caused by Disconnect.
	Err error
	// Attempt counts the failed connection attempts since the last connection; 0 otherwise.
	Attempt int
	// SessionPresent is the CONNACK's session present flag (StateConnected only).
	SessionPresent bool
	// Properties are the MQTT 5 CONNACK properties (StateConnected only; may be nil).
	Properties *Properties
}

// DefaultBackoff waits 100 ms before the first reconnect attempt, doubling up to 30 s, with
// jitter.
func DefaultBackoff(attempt int) time.Duration {
	return ExponentialBackoff(100*time.Millisecond, 30*time.Second)(attempt)
}

// ExponentialBackoff returns a Backoff that waits min·2^attempt, capped at max, scaled by a
// random factor in [0.5, 1) so that clients of a restarted server do not reconnect in step.
func ExponentialBackoff(min, max time.Duration) func(attempt int) time.Duration {
	return func(attempt int) time.Duration {
		if max <= 0 {
			return 0
		}
		d := min
		for i := 0; i < attempt && d > 0 && d < max; i++ {
			d *= 2
		}
		if d <= 0 || d > max {
			d = max
		}
		return d/2 + rand.N(d/2+1)
	}
}

// options are Options with defaults applied and values converted for the wire.
type options struct {
	Options
	keepAlive uint16 // Seconds, for CONNECT.
}

// normalize validates o and fills in defaults.
func normalize(o Options) (options, error) {
	if o.Version == 0 {
		o.Version = V311
	}
	if o.Version != V31 && o.Version != V311 && o.Version != V5 {
		return options{}, fmt.Errorf("%w: unsupported protocol version %d", ErrBadOptions, byte(o.Version))
	}
	if o.KeepSession && o.ClientID == "" && o.Version < V5 {
		// [MQTT-3.1.3-7]: a zero-byte client id requires a clean session.
		return options{}, fmt.Errorf("%w: KeepSession needs a ClientID", ErrBadOptions)
	}
	if o.Version == V31 && (o.ClientID == "" || len(o.ClientID) > 23) {
		return options{}, fmt.Errorf("%w: MQTT 3.1 needs a ClientID of 1 to 23 bytes", ErrBadOptions)
	}
	if o.Password != nil && o.Username == "" && o.Version < V5 {
		return options{}, fmt.Errorf("%w: a password needs a username before MQTT 5", ErrBadOptions)
	}
	if o.Will != nil {
		if err := validName(o.Will.Topic); err != nil {
			return options{}, fmt.Errorf("will: %w", err)
		}
		if o.Will.QoS > QoS2 {
			return options{}, fmt.Errorf("will: %w: %d", ErrBadQoS, o.Will.QoS)
		}
	}
	var keep uint16
	switch {
	case o.KeepAlive == 0:
		o.KeepAlive = DefaultKeepAlive
	case o.KeepAlive < 0:
		o.KeepAlive = 0
	}
	if o.KeepAlive > 0 {
		secs := (o.KeepAlive + time.Second - 1) / time.Second
		if secs > 65535 {
			return options{}, fmt.Errorf("%w: keepalive above 65535 s", ErrBadOptions)
		}
		keep = uint16(secs)
		o.KeepAlive = time.Duration(secs) * time.Second
	}
	if o.PingTimeout <= 0 {
		o.PingTimeout = DefaultPingTimeout
		if o.KeepAlive > 0 && o.KeepAlive < o.PingTimeout {
			o.PingTimeout = o.KeepAlive
		}
	}
	if o.ConnectTimeout <= 0 {
		o.ConnectTimeout = DefaultConnectTimeout
	}
	if o.Backoff == nil {
		o.Backoff = DefaultBackoff
	}
	switch {
	case o.QueueSize == 0:
		o.QueueSize = DefaultQueueSize
	case o.QueueSize < 0:
		o.QueueSize = 0
	}
	if o.InboundQueue <= 0 {
		o.InboundQueue = DefaultInboundQueue
	}
	if o.MaxPacketSize <= 0 || o.MaxPacketSize > packet.MaxRemainingLength {
		o.MaxPacketSize = 0
	}
	if o.Dialer == nil {
		o.Dialer = &net.Dialer{}
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return options{Options: o, keepAlive: keep}, nil
}

// connectPacket builds the CONNECT for clientID.
func (o *options) connectPacket(clientID string) *packet.Connect {
	c := &packet.Connect{
		ProtocolName: "MQTT",
		Version:      o.Version,
		CleanStart:   !o.KeepSession,
		KeepAlive:    o.keepAlive,
		ClientID:     clientID,
		UsernameFlag: o.Username != "",
		Username:     o.Username,
		PasswordFlag: o.Password != nil,
		Password:     o.Password,
	}
	if o.Version == V31 {
		c.ProtocolName = "MQIsdp"
	}
	if w := o.Will; w != nil {
		c.Will = &packet.Will{Topic: w.Topic, Payload: w.Payload, QoS: packet.QoS(w.QoS), Retain: w.Retain}
		if o.Version >= V5 {
			c.Will.Properties = w.Properties
		}
	}
	if o.Version >= V5 {
		var p Properties
		if o.ConnectProperties != nil {
			p = *o.ConnectProperties
		}
		set := o.ConnectProperties != nil
		if o.KeepSession || o.SessionExpiry > 0 {
			exp := uint32(0xFFFFFFFF) // 0xFFFFFFFF: the session never expires [MQTT-3.1.2-23].
			if o.SessionExpiry > 0 && o.SessionExpiry/time.Second < 0xFFFFFFFF {
				exp = uint32(o.SessionExpiry / time.Second)
			}
			p.SessionExpiry, set = &exp, true
		}
		if o.MaxPacketSize > 0 {
			p.MaximumPacketSize, set = new(uint32(o.MaxPacketSize)), true
		}
		if set {
			c.Properties = &p
		}
	}
	return c
}
