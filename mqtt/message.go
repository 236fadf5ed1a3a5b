package mqtt

import (
	"fmt"

	"github.com/lonelyleaf/surgemq/mqtt/packet"
)

// QoS is a quality-of-service level. It is also a PublishOption: pass QoS1 to Publish.
type QoS byte

// The quality-of-service levels.
const (
	QoS0 QoS = 0 // At most once.
	QoS1 QoS = 1 // At least once.
	QoS2 QoS = 2 // Exactly once.
)

// String returns "QoS0", "QoS1" or "QoS2".
func (q QoS) String() string {
	if q <= QoS2 {
		return "QoS" + string('0'+byte(q))
	}
	return fmt.Sprintf("QoS(%d)", byte(q))
}

func (QoS) publishOption() {}

// Version is the MQTT protocol level the client speaks.
type Version = packet.Version

// The protocol levels the client speaks.
const (
	V31  = packet.V31  // MQTT 3.1.
	V311 = packet.V311 // MQTT 3.1.1, the default.
	V5   = packet.V5   // MQTT 5.0.
)

// Properties are MQTT 5 properties. Every field is optional; see packet.Properties.
type Properties = packet.Properties

// UserProperty is one MQTT 5 User Property name/value pair.
type UserProperty = packet.UserProperty

// Message is an application message: one received by a Handler, or the will in Options.
type Message struct {
	Topic   string
	Payload []byte
	QoS     QoS
	Retain  bool
	// Dup is set on a received message the server says it may have sent before.
	Dup bool
	// PacketID is the packet identifier of a received QoS 1 or 2 message (diagnostics only).
	PacketID uint16
	// Properties are the MQTT 5 publish (or will) properties; nil when there are none.
	Properties *Properties
}

// Handler receives messages. Handlers run one at a time, in the order the server sent the
// messages, on a goroutine of the client; a slow handler delays later messages but not the
// connection (keepalive continues). A handler must not modify m.Payload, which handlers of
// overlapping subscriptions share, and must not call Disconnect or wait for the server
// (Publish at QoS 1/2, Subscribe, Unsubscribe): start a goroutine for that. Publishing at QoS 0
// is fine. A QoS 1 or 2 message is acknowledged when its handlers have returned.
type Handler func(m *Message)

// PublishOption modifies one Publish: a QoS, Retain, or the result of WithProperties.
type PublishOption interface{ publishOption() }

// RetainOption is a PublishOption that sets the retain flag: Retain, or RetainOption(b) for
// a flag known at run time.
type RetainOption bool

func (RetainOption) publishOption() {}

// Retain is a PublishOption that asks the server to retain the message [MQTT-3.3.1-5].
const Retain RetainOption = true

type propertiesOption struct{ p *Properties }

func (propertiesOption) publishOption() {}

// WithProperties is a PublishOption that sends MQTT 5 publish properties (content type,
// response topic, correlation data, user properties, message expiry …). They are ignored
// before MQTT 5. Publish reads p while it runs; do not modify it until Publish returns.
func WithProperties(p *Properties) PublishOption { return propertiesOption{p} }

// publishConfig is the result of a Publish's options.
type publishConfig struct {
	qos    QoS
	retain bool
	props  *Properties
}

// parsePublishOptions folds opts into a publishConfig. A type switch, not a method call, keeps
// the config on the caller's stack.
func parsePublishOptions(opts []PublishOption) (publishConfig, error) {
	var cfg publishConfig
	for _, o := range opts {
		switch o := o.(type) {
		case QoS:
			if o > QoS2 {
				return cfg, fmt.Errorf("%w: %d", ErrBadQoS, byte(o))
			}
			cfg.qos = o
		case RetainOption:
			cfg.retain = bool(o)
		case propertiesOption:
			cfg.props = o.p
		case nil:
		}
	}
	return cfg, nil
}

// RetainHandling says when the server sends retained messages for a new subscription (MQTT 5).
type RetainHandling byte

// The MQTT 5 retain handling options [MQTT-3.8.3.1].
const (
	SendRetained      RetainHandling = 0 // On every subscribe (the 3.x behaviour).
	SendRetainedIfNew RetainHandling = 1 // Only if the subscription did not exist.
	DoNotSendRetained RetainHandling = 2 // Never.
)

// Subscription is one topic filter to subscribe to, with its options.
type Subscription struct {
	Filter string
	QoS    QoS // Maximum QoS of the messages the server sends for this filter.
	// NoLocal (MQTT 5) asks the server not to send this client its own messages.
	NoLocal bool
	// RetainAsPublished (MQTT 5) keeps the publisher's retain flag on forwarded messages.
	RetainAsPublished bool
	// RetainHandling (MQTT 5) says when retained messages are sent.
	RetainHandling RetainHandling
}

// SubResult is the server's answer for one Subscription.
type SubResult struct {
	Filter string
	// QoS is the maximum QoS the server granted; meaningful only when Err is nil.
	QoS QoS
	// Err is nil when the subscription was granted, otherwise an error wrapping
	// ErrSubscribeRefused and the packet.Code the server sent (0x80 for 3.1.1).
	Err error
}
