package packet

// Code is a protocol outcome: a 5.0 reason code with its spec name. It implements error, so the
// value that fails a decode is the value a broker sends back in CONNACK or DISCONNECT.
type Code struct {
	Value  byte
	Reason string
}

// Error returns the reason, e.g. "malformed packet".
func (c Code) Error() string { return c.Reason }

// The reason codes of MQTT 5.0, section 2.4, that a decode or a broker can fail with.
var (
	ErrUnspecified             = Code{0x80, "unspecified error"}
	ErrMalformed               = Code{0x81, "malformed packet"}
	ErrProtocol                = Code{0x82, "protocol error"}
	ErrImplementation          = Code{0x83, "implementation specific error"}
	ErrUnsupportedVersion      = Code{0x84, "unsupported protocol version"}
	ErrInvalidClientID         = Code{0x85, "client identifier not valid"}
	ErrBadCredentials          = Code{0x86, "bad user name or password"}
	ErrNotAuthorized           = Code{0x87, "not authorized"}
	ErrServerUnavailable       = Code{0x88, "server unavailable"}
	ErrServerBusy              = Code{0x89, "server busy"}
	ErrBanned                  = Code{0x8A, "banned"}
	ErrServerShuttingDown      = Code{0x8B, "server shutting down"}
	ErrBadAuthMethod           = Code{0x8C, "bad authentication method"}
	ErrKeepAliveTimeout        = Code{0x8D, "keep alive timeout"}
	ErrSessionTakenOver        = Code{0x8E, "session taken over"}
	ErrTopicFilterInvalid      = Code{0x8F, "topic filter invalid"}
	ErrTopicNameInvalid        = Code{0x90, "topic name invalid"}
	ErrPacketIDInUse           = Code{0x91, "packet identifier in use"}
	ErrPacketIDNotFound        = Code{0x92, "packet identifier not found"}
	ErrReceiveMaxExceeded      = Code{0x93, "receive maximum exceeded"}
	ErrTopicAliasInvalid       = Code{0x94, "topic alias invalid"}
	ErrPacketTooLarge          = Code{0x95, "packet too large"}
	ErrMessageRateTooHigh      = Code{0x96, "message rate too high"}
	ErrQuotaExceeded           = Code{0x97, "quota exceeded"}
	ErrAdministrativeAction    = Code{0x98, "administrative action"}
	ErrPayloadFormatInvalid    = Code{0x99, "payload format invalid"}
	ErrRetainNotSupported      = Code{0x9A, "retain not supported"}
	ErrQoSNotSupported         = Code{0x9B, "qos not supported"}
	ErrUseAnotherServer        = Code{0x9C, "use another server"}
	ErrServerMoved             = Code{0x9D, "server moved"}
	ErrSharedSubNotSupported   = Code{0x9E, "shared subscriptions not supported"}
	ErrConnectionRateExceeded  = Code{0x9F, "connection rate exceeded"}
	ErrMaxConnectTime          = Code{0xA0, "maximum connect time"}
	ErrSubIDNotSupported       = Code{0xA1, "subscription identifiers not supported"}
	ErrWildcardSubNotSupported = Code{0xA2, "wildcard subscriptions not supported"}
)

// Success and informational reason codes (values below 0x80) used in acks and DISCONNECT.
const (
	CodeSuccess               byte = 0x00 // Also "normal disconnection" and "granted QoS 0".
	CodeGrantedQoS1           byte = 0x01
	CodeGrantedQoS2           byte = 0x02
	CodeDisconnectWithWill    byte = 0x04
	CodeNoMatchingSubscribers byte = 0x10
	CodeNoSubscriptionExisted byte = 0x11
	CodeContinueAuth          byte = 0x18
	CodeReauthenticate        byte = 0x19
)

// The 3.1/3.1.1 CONNACK return codes [MQTT-3.2.2.3].
const (
	ConnAccepted              byte = 0x00
	ConnRefusedVersion        byte = 0x01
	ConnRefusedIdentifier     byte = 0x02
	ConnRefusedUnavailable    byte = 0x03
	ConnRefusedBadCredentials byte = 0x04
	ConnRefusedNotAuthorized  byte = 0x05
)

// SubackFailure is the 3.1.1 SUBACK return code for a refused filter.
const SubackFailure byte = 0x80

// ConnackCode maps a reason code onto the CONNACK code for version v: itself for 5.0, the
// nearest 3.x return code otherwise.
func ConnackCode(c Code, v Version) byte {
	if v >= V5 {
		return c.Value
	}
	switch c {
	case ErrUnsupportedVersion:
		return ConnRefusedVersion
	case ErrInvalidClientID:
		return ConnRefusedIdentifier
	case ErrBadCredentials:
		return ConnRefusedBadCredentials
	case ErrNotAuthorized, ErrBanned:
		return ConnRefusedNotAuthorized
	default:
		return ConnRefusedUnavailable
	}
}
