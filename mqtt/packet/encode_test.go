package packet

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestEncodeErrors(t *testing.T) {
	long := strings.Repeat("x", maxStringLen+1)
	big := strings.Repeat("f", 60_000)
	manyFilters := make([]Subscription, 5000) // 5000 × 60 kB > 256 MiB, all sharing one string
	for i := range manyFilters {
		manyFilters[i].Filter = big
	}
	manyUsers := make([]UserProperty, 5000)
	for i := range manyUsers {
		manyUsers[i] = UserProperty{Key: big}
	}
	cases := []struct {
		name string
		v    Version
		p    Packet
		want error
	}{
		{"unknown version", 7, &Publish{Topic: "a"}, ErrUnsupportedVersion},
		{"publish qos 3", V311, &Publish{Topic: "a", QoS: 3, PacketID: 1}, ErrMalformed},
		{"publish qos 1 packet id 0", V311, &Publish{Topic: "a", QoS: 1}, ErrProtocol},
		{"publish dup qos 0", V311, &Publish{Topic: "a", Dup: true}, ErrMalformed},
		{"publish empty topic 3.1.1", V311, &Publish{}, ErrProtocol},
		{"publish empty topic 3.1.1 with alias", V311, &Publish{Properties: &Properties{TopicAlias: new(uint16(1))}}, ErrProtocol},
		{"publish empty topic 5.0 without alias", V5, &Publish{}, ErrProtocol},
		{"publish topic too long", V311, &Publish{Topic: long}, ErrMalformed},
		{"publish property not allowed", V5, &Publish{Topic: "a", Properties: &Properties{SessionExpiry: new(uint32(1))}}, ErrMalformed},
		{"publish topic alias 0", V5, &Publish{Topic: "a", Properties: &Properties{TopicAlias: new(uint16(0))}}, ErrTopicAliasInvalid},
		{"publish subscription identifier 0", V5, &Publish{Topic: "a", Properties: &Properties{SubscriptionIDs: []uint32{0}}}, ErrProtocol},
		{"publish subscription identifier too big", V5, &Publish{Topic: "a", Properties: &Properties{SubscriptionIDs: []uint32{1 << 28}}}, ErrMalformed},
		{"publish payload format 7", V5, &Publish{Topic: "a", Properties: &Properties{PayloadFormat: new(byte(7))}}, ErrProtocol},
		{"publish content type too long", V5, &Publish{Topic: "a", Properties: &Properties{ContentType: &long}}, ErrMalformed},
		{"publish correlation data too long", V5, &Publish{Topic: "a", Properties: &Properties{CorrelationData: []byte(long)}}, ErrMalformed},
		{"publish user property too long", V5, &Publish{Topic: "a", Properties: &Properties{User: []UserProperty{{"k", long}}}}, ErrMalformed},
		{"publish properties over the limit", V5, &Publish{Topic: "a", Properties: &Properties{User: manyUsers}}, ErrPacketTooLarge},
		{"ack kind", V311, &Ack{Kind: PUBLISH, PacketID: 1}, ErrMalformed},
		{"ack packet id 0", V311, &Ack{Kind: PUBACK}, ErrProtocol},
		{"puback 5.0 code 0x92", V5, &Ack{Kind: PUBACK, PacketID: 1, ReasonCode: 0x92}, ErrProtocol},
		{"pubrel 5.0 code 0x10", V5, &Ack{Kind: PUBREL, PacketID: 1, ReasonCode: 0x10}, ErrProtocol},
		{"pubcomp 5.0 topic alias", V5, &Ack{Kind: PUBCOMP, PacketID: 1, Properties: &Properties{TopicAlias: new(uint16(1))}}, ErrMalformed},
		{"connect version mismatch", V5, &Connect{Version: V311}, ErrProtocol},
		{"connect protocol name mismatch", V311, &Connect{ProtocolName: "MQIsdp"}, ErrProtocol},
		{"connect unknown version", 0, &Connect{Version: 9}, ErrUnsupportedVersion},
		{"connect will qos 3", V311, &Connect{Will: &Will{Topic: "w", QoS: 3}}, ErrMalformed},
		{"connect will topic empty", V311, &Connect{Will: &Will{}}, ErrProtocol},
		{"connect will payload too long", V311, &Connect{Will: &Will{Topic: "w", Payload: []byte(long)}}, ErrMalformed},
		{"connect will property not allowed", V5, &Connect{Will: &Will{Topic: "w", Properties: &Properties{SessionExpiry: new(uint32(1))}}}, ErrMalformed},
		{"connect property not allowed", V5, &Connect{Properties: &Properties{WillDelay: new(uint32(1))}}, ErrMalformed},
		{"connect receive maximum 0", V5, &Connect{Properties: &Properties{ReceiveMaximum: new(uint16(0))}}, ErrProtocol},
		{"connect maximum packet size 0", V5, &Connect{Properties: &Properties{MaximumPacketSize: new(uint32(0))}}, ErrProtocol},
		{"connect auth data without method", V5, &Connect{Properties: &Properties{AuthData: []byte{1}}}, ErrProtocol},
		{"connect password without user name 3.1.1", V311, &Connect{PasswordFlag: true}, ErrMalformed},
		{"connect user name without flag", V311, &Connect{Username: "u"}, ErrMalformed},
		{"connect password without flag", V311, &Connect{UsernameFlag: true, Password: []byte("p")}, ErrMalformed},
		{"connect client id too long", V311, &Connect{ClientID: long}, ErrMalformed},
		{"connect user name too long", V311, &Connect{UsernameFlag: true, Username: long}, ErrMalformed},
		{"connect password too long", V311, &Connect{UsernameFlag: true, PasswordFlag: true, Password: []byte(long)}, ErrMalformed},
		{"connack 3.1.1 code 0x87", V311, &Connack{ReasonCode: 0x87}, ErrProtocol},
		{"connack 5.0 code 0x01", V5, &Connack{ReasonCode: 0x01}, ErrProtocol},
		{"connack session present on refusal", V311, &Connack{SessionPresent: true, ReasonCode: 5}, ErrProtocol},
		{"connack maximum qos 2", V5, &Connack{Properties: &Properties{MaximumQoS: new(byte(2))}}, ErrProtocol},
		{"subscribe packet id 0", V311, &Subscribe{Subscriptions: []Subscription{{Filter: "a"}}}, ErrProtocol},
		{"subscribe no filter", V311, &Subscribe{PacketID: 1}, ErrProtocol},
		{"subscribe empty filter", V311, &Subscribe{PacketID: 1, Subscriptions: []Subscription{{}}}, ErrProtocol},
		{"subscribe filter too long", V311, &Subscribe{PacketID: 1, Subscriptions: []Subscription{{Filter: long}}}, ErrMalformed},
		{"subscribe qos 3", V311, &Subscribe{PacketID: 1, Subscriptions: []Subscription{{Filter: "a", QoS: 3}}}, ErrMalformed},
		{"subscribe retain handling 3", V5, &Subscribe{PacketID: 1, Subscriptions: []Subscription{{Filter: "a", RetainHandling: 3}}}, ErrProtocol},
		{"subscribe two subscription identifiers", V5, &Subscribe{PacketID: 1, Subscriptions: []Subscription{{Filter: "a"}},
			Properties: &Properties{SubscriptionIDs: []uint32{1, 2}}}, ErrProtocol},
		{"subscribe remaining length over the limit", V311, &Subscribe{PacketID: 1, Subscriptions: manyFilters}, ErrPacketTooLarge},
		{"suback packet id 0", V311, &Suback{ReasonCodes: []byte{0}}, ErrProtocol},
		{"suback no codes", V5, &Suback{PacketID: 1}, ErrProtocol},
		{"suback 3.1.1 code 5", V311, &Suback{PacketID: 1, ReasonCodes: []byte{5}}, ErrProtocol},
		{"suback 5.0 code 5", V5, &Suback{PacketID: 1, ReasonCodes: []byte{5}}, ErrProtocol},
		{"unsubscribe packet id 0", V311, &Unsubscribe{Filters: []string{"a"}}, ErrProtocol},
		{"unsubscribe no filter", V311, &Unsubscribe{PacketID: 1}, ErrProtocol},
		{"unsubscribe empty filter", V311, &Unsubscribe{PacketID: 1, Filters: []string{""}}, ErrProtocol},
		{"unsubscribe filter too long", V311, &Unsubscribe{PacketID: 1, Filters: []string{long}}, ErrMalformed},
		{"unsubscribe reason string", V5, &Unsubscribe{PacketID: 1, Filters: []string{"a"}, Properties: &Properties{ReasonString: new("r")}}, ErrMalformed},
		{"unsuback packet id 0", V311, &Unsuback{}, ErrProtocol},
		{"unsuback 5.0 no codes", V5, &Unsuback{PacketID: 1}, ErrProtocol},
		{"unsuback 5.0 code 1", V5, &Unsuback{PacketID: 1, ReasonCodes: []byte{1}}, ErrProtocol},
		{"disconnect 5.0 code 0x01", V5, &Disconnect{ReasonCode: 1}, ErrProtocol},
		{"disconnect 5.0 topic alias", V5, &Disconnect{Properties: &Properties{TopicAlias: new(uint16(1))}}, ErrMalformed},
		{"auth before 5.0", V311, &Auth{}, ErrProtocol},
		{"auth code 0x01", V5, &Auth{ReasonCode: 1}, ErrProtocol},
		{"auth session expiry", V5, &Auth{Properties: &Properties{SessionExpiry: new(uint32(1))}}, ErrMalformed},
		{"pingresp unknown version", 1, &Pingresp{}, ErrUnsupportedVersion},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dst := []byte{1, 2, 3}
			out, err := c.p.Encode(dst, c.v)
			require.ErrorIs(t, err, c.want)
			require.Equal(t, []byte{1, 2, 3}, out, "dst comes back untouched")
			require.True(t, strings.HasPrefix(err.Error(), "encode "), err.Error())
		})
	}
}
