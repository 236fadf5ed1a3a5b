package serial

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	bugst "go.bug.st/serial"

	"github.com/lonelyleaf/surgemq/adapters"
)

// errClosed is a write after the session closed the device.
var errClosed = errors.New("port closed")

// conn is an open device shared by a session's reader and writer. Write and Close are
// serialised so a write never lands on a file descriptor number the OS has already reused.
type conn struct {
	port   bugst.Port
	mu     sync.Mutex
	closed bool
}

func (c *conn) write(b []byte) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return errClosed
	}
	for len(b) > 0 {
		n, err := c.port.Write(b)
		if err != nil {
			return err
		}
		if n == 0 {
			return fmt.Errorf("write returned 0 bytes")
		}
		b = b[n:]
	}
	return nil
}

func (c *conn) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.closed {
		c.closed = true
		_ = c.port.Close()
	}
}

// session bridges an open device until it fails or ctx ends, and returns why it ended (nil
// when ctx ended). It closes the device.
// opened is what Path named just before the device was opened (nil when Path is not a file,
// e.g. with a custom Open).
func (p *Port) session(ctx context.Context, c adapters.Client, port bugst.Port, opened os.FileInfo, txq <-chan []byte, st *stateTracker) error {
	dev := &conn{port: port}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// Closing the port is what ends a blocked Read: on ctx end and on a writer error.
	stop := context.AfterFunc(ctx, dev.close)
	defer stop()

	var wg sync.WaitGroup
	var werr error
	wg.Go(func() {
		// A panic here would end the process, not just this adapter; Run reports it instead.
		adapters.Guard(func(err error) { werr = err }, func() { werr = p.writer(ctx, dev, txq) })
		if werr != nil {
			cancel()
		}
	})
	rerr := p.reader(ctx, c, dev, opened, st)
	cancel()
	dev.close()
	wg.Wait()
	if werr != nil {
		return werr // the reader saw the cancel it caused
	}
	return rerr
}

// writer writes queued tx messages until ctx ends or a write fails.
func (p *Port) writer(ctx context.Context, dev *conn, txq <-chan []byte) error {
	for {
		select {
		case <-ctx.Done():
			return nil
		case b := <-txq:
			if err := dev.write(b); err != nil {
				if ctx.Err() != nil {
					return nil
				}
				return fmt.Errorf("write: %w", err)
			}
			p.txWritten.Add(1)
		}
	}
}

// reader reads, frames and publishes until ctx ends (nil) or the device fails (the error).
// go.bug.st/serial returns (0, nil) when a read timeout passes: that is the idle gap of idle
// framing, and the moment (at most every pollEvery) to check that the path still names the
// opened device and to retry publishing a state that failed to publish.
func (p *Port) reader(ctx context.Context, c adapters.Client, dev *conn, opened os.FileInfo, st *stateTracker) error {
	timeout := p.pollEvery
	if p.cfg.Framing == FramingIdle {
		timeout = p.cfg.IdleGap.Duration
	}
	if err := dev.port.SetReadTimeout(timeout); err != nil {
		return fmt.Errorf("set read timeout: %w", err)
	}
	lastCheck := time.Now()

	fr := newFramer(p.cfg)
	emit := func(frame []byte) {
		p.publish(ctx, c, encodeRx(p.cfg.Encoding, frame, p.now()))
	}
	buf := make([]byte, min(p.cfg.MaxFrame, 4096)+64)
	for {
		n, err := dev.port.Read(buf)
		if n > 0 {
			fr.push(buf[:n], emit)
			if d := fr.dropped; d > 0 {
				fr.dropped = 0
				p.rxDropped.Add(uint64(d))
				p.log.Warn("serial: line longer than max_frame dropped", "max_frame", p.cfg.MaxFrame)
			}
		}
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read: %w", err)
		}
		if n == 0 { // read timeout: the line is quiet
			fr.idle(emit)
		}
		if time.Since(lastCheck) >= p.pollEvery {
			lastCheck = time.Now()
			st.flush(ctx)
			if opened != nil {
				if err := samePath(p.cfg.Path, opened); err != nil {
					return err
				}
			}
		}
	}
}

// samePath reports ErrDeviceGone when path no longer exists or names another file.
func samePath(path string, opened os.FileInfo) error {
	now, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrDeviceGone, err)
	}
	if !os.SameFile(opened, now) {
		return fmt.Errorf("%w: %s names another device", ErrDeviceGone, path)
	}
	return nil
}
