package mqtt_test

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log"
	"time"

	"github.com/lonelyleaf/surgemq/mqtt"
	"github.com/lonelyleaf/surgemq/mqtt/packet"
)

// These examples need a broker on localhost, so they are compiled but not run.

func Example() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := mqtt.Dial(ctx, "mqtt://localhost:1883", mqtt.Options{ClientID: "kitchen"})
	if err != nil {
		log.Print(err)
		return
	}
	defer c.Disconnect(context.Background())

	_, err = c.Subscribe(ctx, func(m *mqtt.Message) {
		fmt.Printf("%s: %s\n", m.Topic, m.Payload)
	}, mqtt.Subscription{Filter: "sensors/+/temperature", QoS: mqtt.QoS1})
	if err != nil {
		log.Print(err)
		return
	}
	if err := c.Publish(ctx, "sensors/kitchen/temperature", []byte("21.5"), mqtt.QoS1, mqtt.Retain); err != nil {
		log.Print(err)
	}
}

// A persistent MQTT 5 session over TLS, with a will, a state callback and request/response
// properties.
func ExampleDial() {
	ctx := context.Background()
	c, err := mqtt.Dial(ctx, "mqtts://broker.example:8883", mqtt.Options{
		ClientID:    "gateway-1",
		Version:     mqtt.V5,
		Username:    "gateway",
		Password:    []byte("secret"),
		KeepSession: true,
		TLSConfig:   &tls.Config{MinVersion: tls.VersionTLS12},
		Will:        &mqtt.Message{Topic: "gateways/1/state", Payload: []byte("offline"), QoS: mqtt.QoS1, Retain: true},
		OnStateChange: func(s mqtt.StateChange) {
			log.Printf("mqtt %s (err: %v)", s.State, s.Err)
		},
	})
	if errors.Is(err, packet.ErrNotAuthorized) || errors.Is(err, packet.ErrBadCredentials) {
		log.Print("check the password")
		return
	}
	if err != nil {
		log.Print(err)
		return
	}
	defer c.Disconnect(ctx)
	err = c.Publish(ctx, "gateways/1/state", []byte("online"), mqtt.QoS1, mqtt.Retain)
	if err != nil {
		log.Print(err)
		return
	}
	err = c.Publish(ctx, "devices/lamp/set", []byte(`{"on":true}`), mqtt.QoS1, mqtt.WithProperties(&mqtt.Properties{
		ContentType:     new("application/json"),
		ResponseTopic:   new("gateways/1/replies"),
		CorrelationData: []byte("req-42"),
		User:            []mqtt.UserProperty{{Key: "origin", Value: "gateway-1"}},
	}))
	if err != nil {
		log.Print(err)
		return
	}
}

// Publishing while the connection is down: with FailFast, a full queue is an error rather than
// a wait.
func ExampleClient_Publish_failFast() {
	ctx := context.Background()
	c, err := mqtt.Dial(ctx, "mqtt://localhost:1883", mqtt.Options{QueueSize: 100, FailFast: true})
	if err != nil {
		log.Print(err)
		return
	}
	defer c.Disconnect(ctx)
	if err := c.Publish(ctx, "metrics/cpu", []byte("0.42")); errors.Is(err, mqtt.ErrQueueFull) {
		log.Print("offline for a while: dropping a sample")
	}
}

// A custom reconnect policy: the first retry after about a second, then doubling up to a
// minute.
func ExampleExponentialBackoff() {
	c, err := mqtt.Dial(context.Background(), "mqtt://localhost:1883", mqtt.Options{
		Backoff: mqtt.ExponentialBackoff(time.Second, time.Minute),
	})
	if err != nil {
		log.Print(err)
		return
	}
	defer c.Disconnect(context.Background())
}

// Bad input is an error that says what is wrong, before any network traffic.
func ExampleDial_badURL() {
	_, err := mqtt.Dial(context.Background(), "http://localhost", mqtt.Options{})
	fmt.Println(errors.Is(err, mqtt.ErrBadURL), err)
	// Output: true mqtt: bad server url: unsupported scheme "http"
}
