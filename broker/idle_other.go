//go:build !unix

package broker

import "net"

// waitReadable is not available here: connections keep their read buffer while idle.
func waitReadable(net.Conn) (ok bool, err error) { return false, nil }
