package adapters

import (
	"errors"
	"fmt"
	"runtime/debug"
)

// ErrPanic marks an adapter failure that was a recovered panic; the error carries the panic
// value and the stack.
var ErrPanic = errors.New("adapter panicked")

// Guard calls f and, if f panics, recovers and passes fail an error wrapping ErrPanic. The Go
// runtime ends the whole process — the broker with it — on a panic nobody recovers, and only
// the goroutine that panics can recover it; so an adapter runs every goroutine it starts
// through Guard, with a fail that ends its Run with that error, and the gateway restarts the
// adapter instead of dying.
func Guard(fail func(error), f func()) {
	defer func() {
		if r := recover(); r != nil {
			fail(fmt.Errorf("%w: %v\n%s", ErrPanic, r, debug.Stack()))
		}
	}()
	f()
}
