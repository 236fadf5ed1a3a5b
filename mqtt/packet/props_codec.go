package packet

import "math/bits"

// propCtx names a place properties can appear in; each has its own allowed set (5.0 section
// 2.2.2.2, table "Properties").
type propCtx uint8

// The property contexts.
const (
	ctxConnect propCtx = iota
	ctxWill
	ctxConnack
	ctxPublish
	ctxAck // PUBACK, PUBREC, PUBREL, PUBCOMP
	ctxSubscribe
	ctxSuback
	ctxUnsubscribe
	ctxUnsuback
	ctxDisconnect
	ctxAuth
)

var ctxNames = [...]string{"CONNECT", "will properties", "CONNACK", "PUBLISH", "PUBACK/PUBREC/PUBREL/PUBCOMP",
	"SUBSCRIBE", "SUBACK", "UNSUBSCRIBE", "UNSUBACK", "DISCONNECT", "AUTH"}

// Wire types of the property values (5.0 section 2.2.2.2).
const (
	kindNone   uint8 = iota // not a property identifier
	kindByte                // byte
	kindU16                 // two byte integer
	kindU32                 // four byte integer
	kindVarint              // variable byte integer
	kindString              // UTF-8 string
	kindBinary              // binary data
	kindPair                // UTF-8 string pair
)

// propKinds maps every property identifier to the type of its value.
var propKinds = [...]uint8{
	PropPayloadFormat:           kindByte,
	PropMessageExpiry:           kindU32,
	PropContentType:             kindString,
	PropResponseTopic:           kindString,
	PropCorrelationData:         kindBinary,
	PropSubscriptionID:          kindVarint,
	PropSessionExpiry:           kindU32,
	PropAssignedClientID:        kindString,
	PropServerKeepAlive:         kindU16,
	PropAuthMethod:              kindString,
	PropAuthData:                kindBinary,
	PropRequestProblemInfo:      kindByte,
	PropWillDelay:               kindU32,
	PropRequestResponseInfo:     kindByte,
	PropResponseInfo:            kindString,
	PropServerReference:         kindString,
	PropReasonString:            kindString,
	PropReceiveMaximum:          kindU16,
	PropTopicAliasMaximum:       kindU16,
	PropTopicAlias:              kindU16,
	PropMaximumQoS:              kindByte,
	PropRetainAvailable:         kindByte,
	PropUserProperty:            kindPair,
	PropMaximumPacketSize:       kindU32,
	PropWildcardSubAvailable:    kindByte,
	PropSubscriptionIDAvailable: kindByte,
	PropSharedSubAvailable:      kindByte,
}

// propNames are the spec's names of the properties, for error messages.
var propNames = [...]string{
	PropPayloadFormat:           "payload format indicator",
	PropMessageExpiry:           "message expiry interval",
	PropContentType:             "content type",
	PropResponseTopic:           "response topic",
	PropCorrelationData:         "correlation data",
	PropSubscriptionID:          "subscription identifier",
	PropSessionExpiry:           "session expiry interval",
	PropAssignedClientID:        "assigned client identifier",
	PropServerKeepAlive:         "server keep alive",
	PropAuthMethod:              "authentication method",
	PropAuthData:                "authentication data",
	PropRequestProblemInfo:      "request problem information",
	PropWillDelay:               "will delay interval",
	PropRequestResponseInfo:     "request response information",
	PropResponseInfo:            "response information",
	PropServerReference:         "server reference",
	PropReasonString:            "reason string",
	PropReceiveMaximum:          "receive maximum",
	PropTopicAliasMaximum:       "topic alias maximum",
	PropTopicAlias:              "topic alias",
	PropMaximumQoS:              "maximum qos",
	PropRetainAvailable:         "retain available",
	PropUserProperty:            "user property",
	PropMaximumPacketSize:       "maximum packet size",
	PropWildcardSubAvailable:    "wildcard subscription available",
	PropSubscriptionIDAvailable: "subscription identifier available",
	PropSharedSubAvailable:      "shared subscription available",
}

// bitOf returns the mask bit of a property identifier.
func bitOf(id PropID) uint64 { return 1 << id }

// propSet builds an allowed-property mask.
func propSet(ids ...PropID) uint64 {
	var m uint64
	for _, id := range ids {
		m |= bitOf(id)
	}
	return m
}

// allowedProps is, per context, the set of properties it may carry. Anything else is a
// malformed packet: "A Control Packet which contains an Identifier which is not valid for its
// packet type ... is a Malformed Packet" (5.0 section 2.2.2.2).
var allowedProps = [...]uint64{
	ctxConnect: propSet(PropSessionExpiry, PropAuthMethod, PropAuthData, PropRequestProblemInfo,
		PropRequestResponseInfo, PropReceiveMaximum, PropTopicAliasMaximum, PropUserProperty, PropMaximumPacketSize),
	ctxWill: propSet(PropWillDelay, PropPayloadFormat, PropMessageExpiry, PropContentType, PropResponseTopic,
		PropCorrelationData, PropUserProperty),
	ctxConnack: propSet(PropSessionExpiry, PropAssignedClientID, PropServerKeepAlive, PropAuthMethod, PropAuthData,
		PropResponseInfo, PropServerReference, PropReasonString, PropReceiveMaximum, PropTopicAliasMaximum,
		PropMaximumQoS, PropRetainAvailable, PropUserProperty, PropMaximumPacketSize, PropWildcardSubAvailable,
		PropSubscriptionIDAvailable, PropSharedSubAvailable),
	ctxPublish: propSet(PropPayloadFormat, PropMessageExpiry, PropContentType, PropResponseTopic, PropCorrelationData,
		PropSubscriptionID, PropTopicAlias, PropUserProperty),
	ctxAck:         propSet(PropReasonString, PropUserProperty),
	ctxSubscribe:   propSet(PropSubscriptionID, PropUserProperty),
	ctxSuback:      propSet(PropReasonString, PropUserProperty),
	ctxUnsubscribe: propSet(PropUserProperty),
	ctxUnsuback:    propSet(PropReasonString, PropUserProperty),
	ctxDisconnect:  propSet(PropSessionExpiry, PropServerReference, PropReasonString, PropUserProperty),
	ctxAuth:        propSet(PropAuthMethod, PropAuthData, PropReasonString, PropUserProperty),
}

// propBox is what a decode allocates for a non-empty property list: the Properties and the
// storage its scalar pointer fields point into, in one allocation. String properties are rare
// and allocated on their own.
type propBox struct {
	Properties
	payloadFormat, requestProblemInfo, requestResponseInfo, maximumQoS, retainAvailable byte
	wildcardSubAvailable, subscriptionIDAvailable, sharedSubAvailable                   byte
	serverKeepAlive, receiveMaximum, topicAliasMaximum, topicAlias                      uint16
	messageExpiry, sessionExpiry, willDelay, maximumPacketSize                          uint32
}

// decodeProps reads a property length and the property list that follows, as allowed in ctx.
// It returns nil when the list is empty, so packets without properties allocate nothing here.
func decodeProps(c *cursor, ctx propCtx) (*Properties, error) {
	n, err := c.varint()
	if err != nil || n == 0 {
		return nil, err
	}
	if n > c.left() {
		return nil, errDecode(c.t, ErrMalformed, "property length exceeds the packet")
	}
	end := c.off + n
	pc := cursor{b: c.b[:end], off: c.off, t: c.t}
	c.off = end
	box := new(propBox)
	var seen uint64
	for pc.off < end {
		id := pc.b[pc.off] // Identifiers are variable byte integers, all one byte long in 5.0.
		pc.off++
		if int(id) >= len(propKinds) || propKinds[id] == kindNone {
			return nil, errDecode(c.t, ErrMalformed, "unknown property identifier (5.0 section 2.2.2.2)")
		}
		bit := bitOf(PropID(id))
		if allowedProps[ctx]&bit == 0 {
			return nil, errDecode(c.t, ErrMalformed, "property "+propNames[id]+" not allowed in "+ctxNames[ctx]+" (5.0 section 2.2.2.2)")
		}
		if seen&bit != 0 && PropID(id) != PropUserProperty && (PropID(id) != PropSubscriptionID || ctx != ctxPublish) {
			return nil, errDecode(c.t, ErrProtocol, "property "+propNames[id]+" included more than once")
		}
		seen |= bit
		if err := box.read(&pc, PropID(id)); err != nil {
			return nil, err
		}
	}
	p := &box.Properties
	if code, detail := p.check(ctx, p.mask()); detail != "" {
		return nil, errDecode(c.t, code, detail)
	}
	return p, nil
}

// read reads the value of property id into x.
func (x *propBox) read(c *cursor, id PropID) error {
	p := &x.Properties
	var err error
	switch id {
	case PropPayloadFormat:
		x.payloadFormat, err = c.byte1()
		p.PayloadFormat = &x.payloadFormat
	case PropRequestProblemInfo:
		x.requestProblemInfo, err = c.byte1()
		p.RequestProblemInfo = &x.requestProblemInfo
	case PropRequestResponseInfo:
		x.requestResponseInfo, err = c.byte1()
		p.RequestResponseInfo = &x.requestResponseInfo
	case PropMaximumQoS:
		x.maximumQoS, err = c.byte1()
		p.MaximumQoS = &x.maximumQoS
	case PropRetainAvailable:
		x.retainAvailable, err = c.byte1()
		p.RetainAvailable = &x.retainAvailable
	case PropWildcardSubAvailable:
		x.wildcardSubAvailable, err = c.byte1()
		p.WildcardSubAvailable = &x.wildcardSubAvailable
	case PropSubscriptionIDAvailable:
		x.subscriptionIDAvailable, err = c.byte1()
		p.SubscriptionIDAvailable = &x.subscriptionIDAvailable
	case PropSharedSubAvailable:
		x.sharedSubAvailable, err = c.byte1()
		p.SharedSubAvailable = &x.sharedSubAvailable
	case PropServerKeepAlive:
		x.serverKeepAlive, err = c.uint16()
		p.ServerKeepAlive = &x.serverKeepAlive
	case PropReceiveMaximum:
		x.receiveMaximum, err = c.uint16()
		p.ReceiveMaximum = &x.receiveMaximum
	case PropTopicAliasMaximum:
		x.topicAliasMaximum, err = c.uint16()
		p.TopicAliasMaximum = &x.topicAliasMaximum
	case PropTopicAlias:
		x.topicAlias, err = c.uint16()
		p.TopicAlias = &x.topicAlias
	case PropMessageExpiry:
		x.messageExpiry, err = c.uint32()
		p.MessageExpiry = &x.messageExpiry
	case PropSessionExpiry:
		x.sessionExpiry, err = c.uint32()
		p.SessionExpiry = &x.sessionExpiry
	case PropWillDelay:
		x.willDelay, err = c.uint32()
		p.WillDelay = &x.willDelay
	case PropMaximumPacketSize:
		x.maximumPacketSize, err = c.uint32()
		p.MaximumPacketSize = &x.maximumPacketSize
	case PropCorrelationData:
		p.CorrelationData, err = c.binary()
	case PropAuthData:
		p.AuthData, err = c.binary()
	case PropSubscriptionID:
		var v int
		if v, err = c.varint(); err == nil {
			p.SubscriptionIDs = append(p.SubscriptionIDs, uint32(v))
		}
	case PropUserProperty:
		var k, v string
		if k, err = c.str(); err == nil {
			if v, err = c.str(); err == nil {
				p.User = append(p.User, UserProperty{Key: k, Value: v})
			}
		}
	case PropResponseTopic:
		var b []byte
		if b, err = c.binary(); err == nil {
			// The Response Topic is a topic name: UTF-8, no wildcards [MQTT-3.3.2-13], [MQTT-3.3.2-14].
			if err = checkTopicName(c.t, b); err == nil {
				p.ResponseTopic = new(bytesString(b))
			}
		}
	default: // The remaining identifiers are all UTF-8 strings.
		var s string
		if s, err = c.str(); err == nil {
			ps := new(s)
			switch id {
			case PropContentType:
				p.ContentType = ps
			case PropAssignedClientID:
				p.AssignedClientID = ps
			case PropAuthMethod:
				p.AuthMethod = ps
			case PropResponseInfo:
				p.ResponseInfo = ps
			case PropServerReference:
				p.ServerReference = ps
			case PropReasonString:
				p.ReasonString = ps
			}
		}
	}
	return err
}

// flag returns the mask bit of id when present is true.
func flag(present bool, id PropID) uint64 {
	if present {
		return bitOf(id)
	}
	return 0
}

// mask returns the set of properties present in p.
func (p *Properties) mask() uint64 {
	return flag(p.PayloadFormat != nil, PropPayloadFormat) |
		flag(p.MessageExpiry != nil, PropMessageExpiry) |
		flag(p.ContentType != nil, PropContentType) |
		flag(p.ResponseTopic != nil, PropResponseTopic) |
		flag(p.CorrelationData != nil, PropCorrelationData) |
		flag(len(p.SubscriptionIDs) > 0, PropSubscriptionID) |
		flag(p.SessionExpiry != nil, PropSessionExpiry) |
		flag(p.AssignedClientID != nil, PropAssignedClientID) |
		flag(p.ServerKeepAlive != nil, PropServerKeepAlive) |
		flag(p.AuthMethod != nil, PropAuthMethod) |
		flag(p.AuthData != nil, PropAuthData) |
		flag(p.RequestProblemInfo != nil, PropRequestProblemInfo) |
		flag(p.WillDelay != nil, PropWillDelay) |
		flag(p.RequestResponseInfo != nil, PropRequestResponseInfo) |
		flag(p.ResponseInfo != nil, PropResponseInfo) |
		flag(p.ServerReference != nil, PropServerReference) |
		flag(p.ReasonString != nil, PropReasonString) |
		flag(p.ReceiveMaximum != nil, PropReceiveMaximum) |
		flag(p.TopicAliasMaximum != nil, PropTopicAliasMaximum) |
		flag(p.TopicAlias != nil, PropTopicAlias) |
		flag(p.MaximumQoS != nil, PropMaximumQoS) |
		flag(p.RetainAvailable != nil, PropRetainAvailable) |
		flag(len(p.User) > 0, PropUserProperty) |
		flag(p.MaximumPacketSize != nil, PropMaximumPacketSize) |
		flag(p.WildcardSubAvailable != nil, PropWildcardSubAvailable) |
		flag(p.SubscriptionIDAvailable != nil, PropSubscriptionIDAvailable) |
		flag(p.SharedSubAvailable != nil, PropSharedSubAvailable)
}

// Groups of properties, by what check and propsSize must look at.
var (
	boolProps = propSet(PropPayloadFormat, PropRequestProblemInfo, PropRequestResponseInfo, PropMaximumQoS,
		PropRetainAvailable, PropWildcardSubAvailable, PropSubscriptionIDAvailable, PropSharedSubAvailable)
	nonZeroProps = propSet(PropReceiveMaximum, PropMaximumPacketSize, PropTopicAlias, PropSubscriptionID)
	u16Props     = propSet(PropServerKeepAlive, PropReceiveMaximum, PropTopicAliasMaximum, PropTopicAlias)
	u32Props     = propSet(PropMessageExpiry, PropSessionExpiry, PropWillDelay, PropMaximumPacketSize)
	varLenProps  = propSet(PropContentType, PropResponseTopic, PropAssignedClientID, PropAuthMethod, PropResponseInfo,
		PropServerReference, PropReasonString, PropCorrelationData, PropAuthData, PropUserProperty)
)

// check applies the rules on property values that both Encode and decode enforce, given
// m = p.mask(). It returns the reason code and a detail, or an empty detail when p is
// acceptable in ctx.
func (p *Properties) check(ctx propCtx, m uint64) (Code, string) {
	if bad := m &^ allowedProps[ctx]; bad != 0 {
		id := bits.TrailingZeros64(bad)
		return ErrMalformed, "property " + propNames[id] + " not allowed in " + ctxNames[ctx] + " (5.0 section 2.2.2.2)"
	}
	if m&boolProps != 0 {
		// Byte properties that are booleans: "It is a Protocol Error to ... have a value other
		// than 0 or 1" (5.0 sections 3.1.2.11.6, 3.1.2.11.7, 3.2.2.3.4, 3.2.2.3.5,
		// 3.2.2.3.11-13); the payload format indicator is likewise 0 or 1 (3.3.2.3.2).
		for _, b := range [...]struct {
			v  *byte
			id PropID
		}{
			{p.PayloadFormat, PropPayloadFormat}, {p.RequestProblemInfo, PropRequestProblemInfo},
			{p.RequestResponseInfo, PropRequestResponseInfo}, {p.MaximumQoS, PropMaximumQoS},
			{p.RetainAvailable, PropRetainAvailable}, {p.WildcardSubAvailable, PropWildcardSubAvailable},
			{p.SubscriptionIDAvailable, PropSubscriptionIDAvailable}, {p.SharedSubAvailable, PropSharedSubAvailable},
		} {
			if b.v != nil && *b.v > 1 {
				return ErrProtocol, propNames[b.id] + " is neither 0 nor 1"
			}
		}
	}
	if m&nonZeroProps != 0 {
		if p.ReceiveMaximum != nil && *p.ReceiveMaximum == 0 {
			return ErrProtocol, "receive maximum 0 (5.0 section 3.1.2.11.3)"
		}
		if p.MaximumPacketSize != nil && *p.MaximumPacketSize == 0 {
			return ErrProtocol, "maximum packet size 0 (5.0 section 3.1.2.11.4)"
		}
		if p.TopicAlias != nil && *p.TopicAlias == 0 {
			return ErrTopicAliasInvalid, "topic alias 0 [MQTT-3.3.2-8]"
		}
		if ctx == ctxSubscribe && len(p.SubscriptionIDs) > 1 {
			return ErrProtocol, "more than one subscription identifier in SUBSCRIBE (5.0 section 3.8.2.1.2)"
		}
		for _, id := range p.SubscriptionIDs {
			if id == 0 {
				return ErrProtocol, "subscription identifier 0 (5.0 section 3.8.2.1.2)"
			}
			if id > MaxRemainingLength {
				return ErrMalformed, "subscription identifier exceeds 268435455"
			}
		}
	}
	if m&varLenProps == 0 {
		return Code{}, ""
	}
	if p.AuthData != nil && p.AuthMethod == nil {
		return ErrProtocol, "authentication data without authentication method (5.0 section 3.1.2.11.10)"
	}
	// Lengths: only a hand-built Properties can break these; decoded ones never do.
	if p.ContentType != nil && len(*p.ContentType) > maxStringLen ||
		p.ResponseTopic != nil && len(*p.ResponseTopic) > maxStringLen ||
		p.AssignedClientID != nil && len(*p.AssignedClientID) > maxStringLen ||
		p.AuthMethod != nil && len(*p.AuthMethod) > maxStringLen ||
		p.ResponseInfo != nil && len(*p.ResponseInfo) > maxStringLen ||
		p.ServerReference != nil && len(*p.ServerReference) > maxStringLen ||
		p.ReasonString != nil && len(*p.ReasonString) > maxStringLen {
		return ErrMalformed, "string property longer than 65535 bytes"
	}
	if len(p.CorrelationData) > maxStringLen || len(p.AuthData) > maxStringLen {
		return ErrMalformed, "binary property longer than 65535 bytes"
	}
	for _, u := range p.User {
		if len(u.Key) > maxStringLen || len(u.Value) > maxStringLen {
			return ErrMalformed, "user property longer than 65535 bytes"
		}
	}
	return Code{}, ""
}

// encProps is a property list being encoded: the properties, the set present and the size
// of the list without its length prefix.
type encProps struct {
	p    *Properties
	m    uint64
	size int
}

// propsFor validates p for ctx and measures it. A nil or empty p is an empty list.
func propsFor(t Type, p *Properties, ctx propCtx) (encProps, error) {
	if p == nil {
		return encProps{}, nil
	}
	m := p.mask()
	if m == 0 {
		return encProps{}, nil
	}
	if code, detail := p.check(ctx, m); detail != "" {
		return encProps{}, errEncode(t, code, detail)
	}
	n := propsSize(p, m)
	if n > MaxRemainingLength {
		return encProps{}, errEncode(t, ErrPacketTooLarge, "property list longer than 268435455 bytes")
	}
	return encProps{p: p, m: m, size: n}, nil
}

// len returns the encoded size of the list with its length prefix.
func (e *encProps) len() int { return varintLen(e.size) + e.size }

// appendTo appends the property length and the list.
func (e *encProps) appendTo(dst []byte) []byte { return appendProps(dst, e.p, e.size, e.m) }

// propsSize returns the encoded size of p's property list, without the length prefix, given
// m = p.mask().
func propsSize(p *Properties, m uint64) int {
	n := 2*bits.OnesCount64(m&boolProps) + 3*bits.OnesCount64(m&u16Props) + 5*bits.OnesCount64(m&u32Props)
	for v := m &^ (boolProps | u16Props | u32Props); v != 0; v &= v - 1 {
		switch PropID(bits.TrailingZeros64(v)) {
		case PropContentType:
			n += 3 + len(*p.ContentType)
		case PropResponseTopic:
			n += 3 + len(*p.ResponseTopic)
		case PropCorrelationData:
			n += 3 + len(p.CorrelationData)
		case PropSubscriptionID:
			for _, id := range p.SubscriptionIDs {
				n += 1 + varintLen(int(id))
			}
		case PropAssignedClientID:
			n += 3 + len(*p.AssignedClientID)
		case PropAuthMethod:
			n += 3 + len(*p.AuthMethod)
		case PropAuthData:
			n += 3 + len(p.AuthData)
		case PropResponseInfo:
			n += 3 + len(*p.ResponseInfo)
		case PropServerReference:
			n += 3 + len(*p.ServerReference)
		case PropReasonString:
			n += 3 + len(*p.ReasonString)
		case PropUserProperty:
			for _, u := range p.User {
				if n += 5 + len(u.Key) + len(u.Value); n > MaxRemainingLength {
					return n // too large anyway; stop before a 32-bit int overflows
				}
			}
		}
	}
	return n
}

// appendProps appends the property length size and then the properties of p present in m
// (= p.mask()), in identifier order; user properties and subscription identifiers keep their
// order.
func appendProps(dst []byte, p *Properties, size int, m uint64) []byte {
	dst = appendVarint(dst, size)
	for ; m != 0; m &= m - 1 {
		id := PropID(bits.TrailingZeros64(m))
		switch id {
		case PropPayloadFormat:
			dst = append(dst, byte(id), *p.PayloadFormat)
		case PropRequestProblemInfo:
			dst = append(dst, byte(id), *p.RequestProblemInfo)
		case PropRequestResponseInfo:
			dst = append(dst, byte(id), *p.RequestResponseInfo)
		case PropMaximumQoS:
			dst = append(dst, byte(id), *p.MaximumQoS)
		case PropRetainAvailable:
			dst = append(dst, byte(id), *p.RetainAvailable)
		case PropWildcardSubAvailable:
			dst = append(dst, byte(id), *p.WildcardSubAvailable)
		case PropSubscriptionIDAvailable:
			dst = append(dst, byte(id), *p.SubscriptionIDAvailable)
		case PropSharedSubAvailable:
			dst = append(dst, byte(id), *p.SharedSubAvailable)
		case PropServerKeepAlive:
			dst = appendUint16(append(dst, byte(id)), *p.ServerKeepAlive)
		case PropReceiveMaximum:
			dst = appendUint16(append(dst, byte(id)), *p.ReceiveMaximum)
		case PropTopicAliasMaximum:
			dst = appendUint16(append(dst, byte(id)), *p.TopicAliasMaximum)
		case PropTopicAlias:
			dst = appendUint16(append(dst, byte(id)), *p.TopicAlias)
		case PropMessageExpiry:
			dst = appendUint32(append(dst, byte(id)), *p.MessageExpiry)
		case PropSessionExpiry:
			dst = appendUint32(append(dst, byte(id)), *p.SessionExpiry)
		case PropWillDelay:
			dst = appendUint32(append(dst, byte(id)), *p.WillDelay)
		case PropMaximumPacketSize:
			dst = appendUint32(append(dst, byte(id)), *p.MaximumPacketSize)
		case PropContentType:
			dst = appendString(append(dst, byte(id)), *p.ContentType)
		case PropResponseTopic:
			dst = appendString(append(dst, byte(id)), *p.ResponseTopic)
		case PropAssignedClientID:
			dst = appendString(append(dst, byte(id)), *p.AssignedClientID)
		case PropAuthMethod:
			dst = appendString(append(dst, byte(id)), *p.AuthMethod)
		case PropResponseInfo:
			dst = appendString(append(dst, byte(id)), *p.ResponseInfo)
		case PropServerReference:
			dst = appendString(append(dst, byte(id)), *p.ServerReference)
		case PropReasonString:
			dst = appendString(append(dst, byte(id)), *p.ReasonString)
		case PropCorrelationData:
			dst = appendBinary(append(dst, byte(id)), p.CorrelationData)
		case PropAuthData:
			dst = appendBinary(append(dst, byte(id)), p.AuthData)
		case PropSubscriptionID:
			for _, v := range p.SubscriptionIDs {
				dst = appendVarint(append(dst, byte(id)), int(v))
			}
		case PropUserProperty:
			for _, u := range p.User {
				dst = appendString(append(dst, byte(id)), u.Key)
				dst = appendString(dst, u.Value)
			}
		}
	}
	return dst
}
