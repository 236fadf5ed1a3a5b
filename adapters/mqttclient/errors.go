package mqttclient

import "errors"

// ErrNilHandler is returned by Subscribe when the handler is nil.
var ErrNilHandler = errors.New("mqttclient: nil handler")

// ErrBadQoS is returned (wrapped, with the value) by Publish and Subscribe for a qos other
// than 0, 1 or 2.
var ErrBadQoS = errors.New("mqttclient: qos is not 0, 1 or 2")
