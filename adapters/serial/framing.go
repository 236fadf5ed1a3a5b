package serial

import (
	"bytes"
	"slices"
)

// framer cuts the byte stream into frames per Config.Framing. It is used by one goroutine.
type framer struct {
	framing Framing
	term    []byte
	stripCR bool
	size    int // fixed frame size
	max     int

	buf        []byte
	discarding bool // line framing: dropping an over-long line up to its terminator
	dropped    int  // over-long lines dropped (line framing)
}

func newFramer(c Config) *framer {
	return &framer{
		framing: c.Framing,
		term:    []byte(c.Terminator),
		stripCR: c.StripCR,
		size:    c.FrameSize,
		max:     c.MaxFrame,
	}
}

// push adds bytes read from the device and calls emit for every complete frame, in order.
// emit gets a fresh slice it may keep.
func (f *framer) push(b []byte, emit func([]byte)) {
	f.buf = append(f.buf, b...)
	switch f.framing {
	case FramingLine:
		f.lines(emit)
	case FramingFixed:
		f.chunks(f.size, emit)
	case FramingIdle:
		f.chunks(f.max, emit)
	}
}

// idle is called when the line has been quiet for the idle gap: idle framing emits what it
// holds. The other framings keep waiting for the rest of their frame.
func (f *framer) idle(emit func([]byte)) {
	if f.framing == FramingIdle && len(f.buf) > 0 {
		emit(slices.Clone(f.buf))
		f.buf = f.buf[:0]
	}
}

// reset forgets a partial frame (the device was lost).
func (f *framer) reset() {
	f.buf = f.buf[:0]
	f.discarding = false
}

func (f *framer) chunks(n int, emit func([]byte)) {
	off := 0
	for len(f.buf)-off >= n {
		emit(slices.Clone(f.buf[off : off+n]))
		off += n
	}
	f.compact(off)
}

func (f *framer) lines(emit func([]byte)) {
	off := 0
	for {
		i := bytes.Index(f.buf[off:], f.term)
		if i < 0 {
			break
		}
		line := f.buf[off : off+i]
		off += i + len(f.term)
		if f.discarding { // the tail of a line already too long
			f.discarding = false
			continue
		}
		if f.stripCR && len(line) > 0 && line[len(line)-1] == '\r' && !bytes.Equal(f.term, []byte("\r")) {
			line = line[:len(line)-1]
		}
		if len(line) > f.max {
			f.dropped++
			continue
		}
		if len(line) > 0 {
			emit(slices.Clone(line))
		}
	}
	f.compact(off)
	// No terminator in sight and already over the limit: drop what we have, keep the last
	// len(term)-1 bytes (a terminator may straddle two reads), and skip to the next
	// terminator.
	if len(f.buf) > f.max+1 { // +1: room for a '\r' that strip_cr removes
		if !f.discarding {
			f.dropped++
			f.discarding = true
		}
		keep := len(f.term) - 1
		copy(f.buf, f.buf[len(f.buf)-keep:])
		f.buf = f.buf[:keep]
	}
}

// compact drops the first off bytes of buf, reusing its storage.
func (f *framer) compact(off int) {
	if off == 0 {
		return
	}
	n := copy(f.buf, f.buf[off:])
	f.buf = f.buf[:n]
}
