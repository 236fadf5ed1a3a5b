package packet_test

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"

	"github.com/lonelyleaf/surgemq/mqtt/packet"
)

// Encode a PUBLISH as MQTT 3.1.1 and read it back from a stream.
func Example() {
	pub := &packet.Publish{QoS: packet.QoS1, PacketID: 7, Topic: "home/kitchen/temp", Payload: []byte("21.5")}
	buf, err := pub.Encode(nil, packet.V311)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("% x\n", buf)

	r := packet.NewReader(bufio.NewReader(bytes.NewReader(buf)), packet.V311, 1<<20)
	p, err := r.Read()
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(p)
	fmt.Printf("%s\n", p.(*packet.Publish).Payload)
	// Output:
	// 32 19 00 11 68 6f 6d 65 2f 6b 69 74 63 68 65 6e 2f 74 65 6d 70 00 07 32 31 2e 35
	// PUBLISH(id=7 qos=1 topic="home/kitchen/temp" len=4)
	// 21.5
}

// A packet that breaks the spec fails with the reason code to send back.
func ExampleDecode() {
	bad := []byte{0x30, 0x05, 0x00, 0x03, 'a', '/', '#'} // PUBLISH to a wildcard topic
	_, _, err := packet.Decode(bad, packet.V5)
	var code packet.Code
	if errors.As(err, &code) {
		fmt.Printf("0x%02x %v\n", code.Value, err)
	}
	// Output:
	// 0x90 decode publish: topic name contains a wildcard [MQTT-3.3.2-2]: topic name invalid
}
