package store

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

const (
	segSuffix     = ".log"
	compactSuffix = ".log.compact" // a compaction in progress; deleted at Open
	readBuffer    = 256 << 10
)

// segFile is one open segment file.
type segFile struct {
	id       uint32 // unique within this Store's lifetime; message locations name it
	num      uint32 // the number in the file name: replay order
	f        *os.File
	size     int64 // logical size: for the active segment it includes the appended, unwritten bytes
	snapshot bool
}

func segName(num uint32) string { return fmt.Sprintf("%08d%s", num, segSuffix) }

// parseSegName returns the number of a segment file name.
func parseSegName(name string) (uint32, bool) {
	digits, ok := strings.CutSuffix(name, segSuffix)
	if !ok || len(digits) != 8 {
		return 0, false
	}
	n, err := strconv.ParseUint(digits, 10, 32)
	return uint32(n), err == nil && n > 0
}

func (s *Store) path(name string) string { return filepath.Join(s.opts.Dir, name) }

// frame is one record as read from a file.
type frame struct {
	typ  recType
	off  int64  // offset of the frame in the file
	size int64  // header plus body
	raw  []byte // the whole frame when it fits the read buffer (valid until the next read), else nil
}

var (
	errShort = errors.New("record cut short")
	errCRC   = errors.New("checksum mismatch")
	errLen   = errors.New("bad record length")
)

// frameReader reads the frames of a file sequentially. It allocates nothing per frame unless a
// frame is larger than its buffer: such a frame's checksum is verified by streaming it.
type frameReader struct {
	ra   io.ReaderAt
	br   *bufio.Reader
	off  int64
	size int64
}

func newFrameReader(ra io.ReaderAt, size int64) *frameReader {
	return &frameReader{ra: ra, size: size, br: bufio.NewReaderSize(io.NewSectionReader(ra, 0, size), readBuffer)}
}

// next returns the next frame, io.EOF at a clean end, or an error (errShort, errCRC, errLen,
// or an I/O error) for a bad frame at fr.off; after an error the reader must not be used.
func (fr *frameReader) next() (frame, error) {
	fm := frame{off: fr.off}
	rest := fr.size - fr.off
	if rest == 0 {
		return fm, io.EOF
	}
	if rest < frameHeader {
		return fm, errShort
	}
	h, err := fr.br.Peek(frameHeader)
	if err != nil {
		return fm, ioErr(err)
	}
	n := int64(binary.LittleEndian.Uint32(h[4:8]))
	sum := binary.LittleEndian.Uint32(h[0:4])
	fm.typ = recType(h[8])
	if n < 1 || n > maxFrame {
		return fm, errLen
	}
	fm.size = 8 + n
	if fm.size > rest {
		return fm, errShort
	}
	if fm.size <= readBuffer {
		raw, err := fr.br.Peek(int(fm.size))
		if err != nil {
			return fm, ioErr(err)
		}
		if crc32.Checksum(raw[4:], castagnoli) != sum {
			return fm, errCRC
		}
		fm.raw = raw
	} else {
		hash := crc32.New(castagnoli)
		if _, err := io.CopyN(hash, io.NewSectionReader(fr.ra, fm.off+4, fm.size-4), fm.size-4); err != nil {
			return fm, ioErr(err)
		}
		if hash.Sum32() != sum {
			return fm, errCRC
		}
	}
	fr.off += fm.size
	if fm.raw != nil {
		_, err = fr.br.Discard(int(fm.size))
		return fm, err // cannot fail: the bytes were peeked
	}
	fr.br.Reset(io.NewSectionReader(fr.ra, fr.off, fr.size-fr.off))
	return fm, nil
}

// body returns up to limit bytes of fm's body (all of it when limit < 0).
func (fr *frameReader) body(fm frame, limit int64) ([]byte, error) {
	if fm.raw != nil {
		b := fm.raw[frameHeader:]
		if limit >= 0 && int64(len(b)) > limit {
			b = b[:limit]
		}
		return b, nil
	}
	n := fm.size - frameHeader
	if limit >= 0 && n > limit {
		n = limit
	}
	b := make([]byte, n)
	if _, err := fr.ra.ReadAt(b, fm.off+frameHeader); err != nil {
		return nil, err
	}
	return b, nil
}

// badFrame reports whether err from next or readHeader means damaged data (to be dropped)
// rather than an I/O error (to be returned).
func badFrame(err error) bool {
	return errors.Is(err, errShort) || errors.Is(err, errCRC) || errors.Is(err, errLen) ||
		errors.Is(err, ErrCorrupt)
}

func ioErr(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return errShort
	}
	return err
}

// readHeader reads and checks the header frame at the start of f.
func readHeader(f io.ReaderAt, size int64) (header, error) {
	fr := newFrameReader(f, min(size, readBuffer))
	fm, err := fr.next()
	if err == io.EOF {
		return header{}, errShort
	}
	if err != nil {
		return header{}, err
	}
	if fm.typ != recHeader {
		return header{}, fmt.Errorf("first record is %s, not a header: %w", fm.typ, ErrCorrupt)
	}
	return decodeHeader(fm.raw[frameHeader:])
}
