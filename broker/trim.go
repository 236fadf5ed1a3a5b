package broker

import (
	"runtime/debug"
	"time"
)

const (
	// trimEvery is how often the broker looks whether a wave of connections went idle.
	trimEvery = 5 * time.Second
	// trimAfterParked is how many connections must have parked since the last trim (and the
	// broker's input be quiet) before it hands freed memory back to the kernel.
	trimAfterParked = 1024
)

// trimLoop returns memory to the kernel after a wave of connections has gone idle. A
// connection burst grows goroutine stacks and buffers that parking frees again, but the Go
// runtime hands freed pages back only slowly and collects garbage only when the heap grows;
// on a Raspberry Pi the difference is megabytes. It runs only when at least trimAfterParked
// connections parked since the last trim and no bytes arrived in the last period, so a busy
// broker never pays for it.
func (s *Server) trimLoop() {
	defer s.wg.Done()
	t := time.NewTicker(trimEvery)
	defer t.Stop()
	var lastParked int64
	lastBytes := s.stats.bytesReceived.Load()
	for {
		select {
		case <-s.ctx.Done():
			return
		case <-t.C:
		}
		parked, bytes := s.stats.parked.Load(), s.stats.bytesReceived.Load()
		quiet := bytes == lastBytes
		lastBytes = bytes
		if parked < lastParked {
			lastParked = parked // connections left or woke up: measure from here
		}
		if quiet && parked-lastParked >= trimAfterParked {
			debug.FreeOSMemory()
			lastParked = parked
		}
	}
}
