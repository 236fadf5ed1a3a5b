package adapterstest

import "errors"

// ErrInvalidTopic is returned by Client.Publish for a topic name that is empty, contains a
// wildcard ('+', '#') or NUL, or is not valid UTF-8 [MQTT-4.7.3-1] [MQTT-4.7.3-2] [MQTT-1.5.4-1].
var ErrInvalidTopic = errors.New("invalid topic name")

// ErrInvalidFilter is returned by Client.Subscribe for a malformed topic filter
// [MQTT-4.7.1-1] [MQTT-4.7.1-2].
var ErrInvalidFilter = errors.New("invalid topic filter")

// ErrInvalidQoS is returned for a QoS above 2 [MQTT-3.3.1-4].
var ErrInvalidQoS = errors.New("invalid qos")
