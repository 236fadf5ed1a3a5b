package topic_test

import (
	"errors"
	"fmt"
	"slices"

	"github.com/lonelyleaf/surgemq/mqtt/topic"
)

func Example() {
	// Check what a client sends.
	fmt.Println(topic.ValidName("site/3/device/417/temp"))
	fmt.Println(errors.Is(topic.ValidFilter("site/#/temp"), topic.ErrBadWildcard))
	group, inner, _ := topic.ParseShared("$share/loggers/site/+/device/#")
	fmt.Println(group, inner)

	// Index subscriptions: key is the client, value its granted QoS.
	subs := topic.NewTree[string, byte]()
	subs.Add("site/+/device/+/temp", "dashboard", 0)
	subs.Add("site/3/#", "site3-gateway", 1)
	subs.Add("#", "debug", 0) // does not see $SYS topics [MQTT-4.7.2-1]
	subs.Add("$SYS/#", "monitor", 0)

	for _, name := range []string{"site/3/device/417/temp", "$SYS/broker/uptime"} {
		var got []string
		subs.Match(name, func(client string, qos byte) {
			got = append(got, fmt.Sprintf("%s@%d", client, qos))
		})
		slices.Sort(got)
		fmt.Println(name, got)
	}
	// Output:
	// <nil>
	// true
	// loggers site/+/device/#
	// site/3/device/417/temp [dashboard@0 debug@0 site3-gateway@1]
	// $SYS/broker/uptime [monitor@0]
}
