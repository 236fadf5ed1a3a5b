// Package mqtttest provides utilities for testing MQTT programs against a real broker, in the
// manner of net/http/httptest: StartMosquitto runs Debian's Mosquitto on a free loopback port
// with a configuration written for the test, and Dialer cuts connections the way a network
// failure would.
//
// Nothing here is for production use; the package is imported only by tests.
package mqtttest
