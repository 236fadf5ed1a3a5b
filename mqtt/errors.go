package mqtt

import (
	"errors"
	"fmt"

	"github.com/lonelyleaf/surgemq/mqtt/packet"
)

// Errors returned by the client. Protocol outcomes reported by the server (a refused CONNECT,
// a failed PUBACK, a refused filter, a server DISCONNECT) also wrap the packet.Code the server
// sent, so errors.Is(err, packet.ErrBadCredentials) works alongside these sentinels.
var (
	// ErrClosed is returned by calls on a client after Disconnect, and by calls that were
	// waiting when Disconnect ran.
	ErrClosed = errors.New("mqtt: client closed")

	// ErrQueueFull is returned by Publish with Options.FailFast when the outgoing queue
	// (Options.QueueSize) is full.
	ErrQueueFull = errors.New("mqtt: outgoing queue full")

	// ErrNotConnected is returned by Subscribe and Unsubscribe with Options.FailFast while the
	// client is not connected.
	ErrNotConnected = errors.New("mqtt: not connected")

	// ErrConnectionLost is returned by calls that were waiting on a connection that ended
	// while Options.DisableReconnect is set, and reported in StateChange.Err for a dropped
	// connection.
	ErrConnectionLost = errors.New("mqtt: connection lost")

	// ErrRefused wraps the packet.Code of a CONNACK that refused the connection.
	ErrRefused = errors.New("mqtt: connection refused by server")

	// ErrSubscribeRefused wraps the packet.Code of each filter a SUBACK refused.
	ErrSubscribeRefused = errors.New("mqtt: subscription refused")

	// ErrUnsubscribeRefused wraps the packet.Code of each filter an MQTT 5 UNSUBACK refused.
	ErrUnsubscribeRefused = errors.New("mqtt: unsubscribe refused")

	// ErrPublishRefused wraps the packet.Code of an MQTT 5 PUBACK or PUBREC that refused a
	// message.
	ErrPublishRefused = errors.New("mqtt: publish refused")

	// ErrServerDisconnect wraps the packet.Code of an MQTT 5 DISCONNECT sent by the server.
	ErrServerDisconnect = errors.New("mqtt: disconnected by server")

	// ErrKeepAliveTimeout means the server answered no PINGREQ within Options.PingTimeout.
	ErrKeepAliveTimeout = errors.New("mqtt: keepalive timeout")

	// ErrProtocol means the server sent a packet the protocol does not allow at that point.
	ErrProtocol = errors.New("mqtt: protocol violation by server")

	// ErrBadURL is returned by Dial for a server URL it cannot use.
	ErrBadURL = errors.New("mqtt: bad server url")

	// ErrBadOptions is returned by Dial for inconsistent Options.
	ErrBadOptions = errors.New("mqtt: bad options")

	// ErrBadTopic is returned for an invalid topic name or filter; it wraps the mqtt/topic
	// error that says why.
	ErrBadTopic = errors.New("mqtt: bad topic")

	// ErrBadQoS is returned for a QoS other than 0, 1 or 2.
	ErrBadQoS = errors.New("mqtt: bad qos")

	// ErrMessageTooLarge is returned by Publish for a message above the server's Maximum
	// Packet Size (MQTT 5).
	ErrMessageTooLarge = errors.New("mqtt: message exceeds server maximum packet size")
)

// connackError turns a refusing CONNACK code into an error wrapping ErrRefused and the
// matching packet.Code, for 3.x return codes and 5.0 reason codes alike.
func connackError(code byte, v packet.Version, props *packet.Properties) error {
	c := codeOf(code)
	if v < packet.V5 {
		switch code {
		case packet.ConnRefusedVersion:
			c = packet.ErrUnsupportedVersion
		case packet.ConnRefusedIdentifier:
			c = packet.ErrInvalidClientID
		case packet.ConnRefusedUnavailable:
			c = packet.ErrServerUnavailable
		case packet.ConnRefusedBadCredentials:
			c = packet.ErrBadCredentials
		case packet.ConnRefusedNotAuthorized:
			c = packet.ErrNotAuthorized
		}
	}
	return fmt.Errorf("%w: %w%s", ErrRefused, c, reasonString(props))
}

// codeOf returns the named packet.Code for a reason code value, or an unnamed Code.
func codeOf(v byte) packet.Code {
	for _, c := range [...]packet.Code{
		packet.ErrUnspecified, packet.ErrMalformed, packet.ErrProtocol, packet.ErrImplementation,
		packet.ErrUnsupportedVersion, packet.ErrInvalidClientID, packet.ErrBadCredentials,
		packet.ErrNotAuthorized, packet.ErrServerUnavailable, packet.ErrServerBusy, packet.ErrBanned,
		packet.ErrServerShuttingDown, packet.ErrBadAuthMethod, packet.ErrKeepAliveTimeout,
		packet.ErrSessionTakenOver, packet.ErrTopicFilterInvalid, packet.ErrTopicNameInvalid,
		packet.ErrPacketIDInUse, packet.ErrPacketIDNotFound, packet.ErrReceiveMaxExceeded,
		packet.ErrTopicAliasInvalid, packet.ErrPacketTooLarge, packet.ErrMessageRateTooHigh,
		packet.ErrQuotaExceeded, packet.ErrAdministrativeAction, packet.ErrPayloadFormatInvalid,
		packet.ErrRetainNotSupported, packet.ErrQoSNotSupported, packet.ErrUseAnotherServer,
		packet.ErrServerMoved, packet.ErrSharedSubNotSupported, packet.ErrConnectionRateExceeded,
		packet.ErrMaxConnectTime, packet.ErrSubIDNotSupported, packet.ErrWildcardSubNotSupported,
	} {
		if c.Value == v {
			return c
		}
	}
	return packet.Code{Value: v, Reason: fmt.Sprintf("reason code 0x%02x", v)}
}

// reasonString formats the 5.0 Reason String property for an error message, if present.
func reasonString(p *packet.Properties) string {
	if p == nil || p.ReasonString == nil {
		return ""
	}
	return fmt.Sprintf(" (%q)", *p.ReasonString)
}
