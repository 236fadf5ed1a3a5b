package packet

// PropID is a 5.0 property identifier [MQTT-2.2.2].
type PropID byte

// The property identifiers of MQTT 5.0, section 2.2.2.2.
const (
	PropPayloadFormat           PropID = 0x01
	PropMessageExpiry           PropID = 0x02
	PropContentType             PropID = 0x03
	PropResponseTopic           PropID = 0x08
	PropCorrelationData         PropID = 0x09
	PropSubscriptionID          PropID = 0x0B
	PropSessionExpiry           PropID = 0x11
	PropAssignedClientID        PropID = 0x12
	PropServerKeepAlive         PropID = 0x13
	PropAuthMethod              PropID = 0x15
	PropAuthData                PropID = 0x16
	PropRequestProblemInfo      PropID = 0x17
	PropWillDelay               PropID = 0x18
	PropRequestResponseInfo     PropID = 0x19
	PropResponseInfo            PropID = 0x1A
	PropServerReference         PropID = 0x1C
	PropReasonString            PropID = 0x1F
	PropReceiveMaximum          PropID = 0x21
	PropTopicAliasMaximum       PropID = 0x22
	PropTopicAlias              PropID = 0x23
	PropMaximumQoS              PropID = 0x24
	PropRetainAvailable         PropID = 0x25
	PropUserProperty            PropID = 0x26
	PropMaximumPacketSize       PropID = 0x27
	PropWildcardSubAvailable    PropID = 0x28
	PropSubscriptionIDAvailable PropID = 0x29
	PropSharedSubAvailable      PropID = 0x2A
)

// UserProperty is one name/value pair of a 5.0 User Property.
type UserProperty struct {
	Key, Value string
}

// Properties holds the 5.0 properties of any packet. A nil pointer field means the property is
// absent; which properties a packet may carry is checked by Decode and Encode.
type Properties struct {
	PayloadFormat           *byte
	MessageExpiry           *uint32
	ContentType             *string
	ResponseTopic           *string
	CorrelationData         []byte   // nil when absent.
	SubscriptionIDs         []uint32 // PUBLISH may carry several; SUBSCRIBE at most one.
	SessionExpiry           *uint32
	AssignedClientID        *string
	ServerKeepAlive         *uint16
	AuthMethod              *string
	AuthData                []byte
	RequestProblemInfo      *byte
	WillDelay               *uint32
	RequestResponseInfo     *byte
	ResponseInfo            *string
	ServerReference         *string
	ReasonString            *string
	ReceiveMaximum          *uint16
	TopicAliasMaximum       *uint16
	TopicAlias              *uint16
	MaximumQoS              *byte
	RetainAvailable         *byte
	User                    []UserProperty
	MaximumPacketSize       *uint32
	WildcardSubAvailable    *byte
	SubscriptionIDAvailable *byte
	SharedSubAvailable      *byte
}
