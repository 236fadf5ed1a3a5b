package broker

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/lonelyleaf/surgemq/broker/store"
)

// Defaults for the zero values of Options.
const (
	DefaultMaxPacketSize     = 1 << 20 // 1 MiB
	DefaultMaxInflight       = 20      // Mosquitto's max_inflight_messages.
	DefaultMaxQueuedMessages = 1000    // Mosquitto's max_queued_messages.
	DefaultMaxOutboundBytes  = 1 << 20 // Bytes a connection may have encoded but unwritten.
	DefaultConnectTimeout    = 10 * time.Second
	DefaultWriteTimeout      = 30 * time.Second
	DefaultSysInterval       = 10 * time.Second
)

// Options configure a Server. The zero value of every field means its documented default, so
// broker.New(broker.Options{}) is a working broker.
type Options struct {
	// MaxConnections refuses connections beyond this many (CONNACK "server unavailable").
	// Zero means no limit.
	MaxConnections int
	// MaxPacketSize is the largest packet accepted, in bytes of remaining length. A larger one
	// closes the connection (5.0: DISCONNECT 0x95). Zero means DefaultMaxPacketSize.
	MaxPacketSize int
	// MaxInflight is the number of outgoing QoS 1/2 messages per client awaiting
	// acknowledgement; more wait in the session queue. Zero means DefaultMaxInflight.
	MaxInflight int
	// MaxQueuedMessages bounds each session's queue of messages waiting for delivery (client
	// offline or in-flight window full). Messages beyond it are dropped and counted. Zero means
	// DefaultMaxQueuedMessages; negative means no limit.
	MaxQueuedMessages int
	// MaxQueuedBytes bounds each session's queue in payload bytes. Zero means no limit.
	MaxQueuedBytes int64
	// QueueQoS0 queues QoS 0 messages for offline persistent sessions too (Mosquitto's
	// queue_qos0_messages). Off by default.
	QueueQoS0 bool
	// MaxOutboundBytes bounds the bytes encoded for one connection but not yet written. QoS 0
	// messages beyond it are dropped and counted; QoS 1/2 messages wait in the session queue.
	// Zero means DefaultMaxOutboundBytes.
	MaxOutboundBytes int
	// ConnectTimeout closes a connection that has not sent CONNECT within it.
	// Zero means DefaultConnectTimeout.
	ConnectTimeout time.Duration
	// WriteTimeout closes a connection whose socket accepts no data for this long (a stuck
	// slow consumer). Zero means DefaultWriteTimeout.
	WriteTimeout time.Duration
	// SysInterval is how often the $SYS topics are published. Zero means DefaultSysInterval;
	// negative disables $SYS.
	SysInterval time.Duration
	// Persistence keeps persistent sessions, their queued and in-flight messages and the
	// retained messages on disk, so they survive restarts, crashes and power loss. Nil keeps
	// everything in memory.
	Persistence *store.Options
	// Authenticator decides whether a CONNECT is accepted. Nil accepts everyone.
	Authenticator Authenticator
	// Authorizer decides whether a client may publish or subscribe. Nil allows everything.
	Authorizer Authorizer
	// Logger receives the broker's logs. Nil means slog.Default().
	Logger *slog.Logger
	// Version is reported on $SYS/broker/version. Empty means "surgemq".
	Version string
}

// withDefaults returns a copy of o with defaults filled in, or an error for invalid values.
func (o Options) withDefaults() (Options, error) {
	if o.MaxConnections < 0 {
		return o, fmt.Errorf("%w: max connections %d is negative", ErrInvalidOptions, o.MaxConnections)
	}
	if o.MaxPacketSize < 0 || o.MaxPacketSize > 268_435_455 {
		return o, fmt.Errorf("%w: max packet size %d out of range", ErrInvalidOptions, o.MaxPacketSize)
	}
	if o.MaxInflight < 0 || o.MaxInflight > 65535 {
		return o, fmt.Errorf("%w: max in-flight %d out of range 0..65535", ErrInvalidOptions, o.MaxInflight)
	}
	if o.MaxQueuedBytes < 0 || o.MaxOutboundBytes < 0 || o.ConnectTimeout < 0 || o.WriteTimeout < 0 {
		return o, fmt.Errorf("%w: negative limit", ErrInvalidOptions)
	}
	if o.MaxPacketSize == 0 {
		o.MaxPacketSize = DefaultMaxPacketSize
	}
	if o.MaxInflight == 0 {
		o.MaxInflight = DefaultMaxInflight
	}
	if o.MaxQueuedMessages == 0 {
		o.MaxQueuedMessages = DefaultMaxQueuedMessages
	}
	if o.MaxOutboundBytes == 0 {
		o.MaxOutboundBytes = DefaultMaxOutboundBytes
	}
	if o.ConnectTimeout == 0 {
		o.ConnectTimeout = DefaultConnectTimeout
	}
	if o.WriteTimeout == 0 {
		o.WriteTimeout = DefaultWriteTimeout
	}
	if o.SysInterval == 0 {
		o.SysInterval = DefaultSysInterval
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Version == "" {
		o.Version = "surgemq"
	}
	return o, nil
}
