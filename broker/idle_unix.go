//go:build unix

package broker

import (
	"errors"
	"net"
	"syscall"
)

// waitReadable blocks until nc has data to read (or EOF, or an error), without holding a
// read buffer, honouring nc's read deadline. ok is false when nc offers no file descriptor;
// the caller then reads as usual.
func waitReadable(nc net.Conn) (ok bool, err error) {
	sc, isSC := nc.(syscall.Conn)
	if !isSC {
		return false, nil
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return false, nil
	}
	err = rc.Read(func(fd uintptr) bool {
		// Peek instead of trusting the poller alone: readiness that arrived before this call
		// is not remembered, and data may already be waiting in the socket.
		var b [1]byte
		_, _, perr := syscall.Recvfrom(int(fd), b[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		return !errors.Is(perr, syscall.EAGAIN) // false: wait for readability, then ask again
	})
	return true, err
}
