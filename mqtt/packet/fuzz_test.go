package packet

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"testing"
	"testing/iotest"

	"github.com/stretchr/testify/require"
)

// splitReader returns its bytes in two reads, split at a given point.
type splitReader struct {
	b     []byte
	split int
}

func (s *splitReader) Read(p []byte) (int, error) {
	if len(s.b) == 0 {
		return 0, io.EOF
	}
	n := len(s.b)
	if s.split > 0 {
		n, s.split = s.split, 0
	}
	n = copy(p, s.b[:n])
	s.b = s.b[n:]
	return n, nil
}

// sameOutcome requires two decodes of the same bytes to agree: equal packets, and errors that
// are the same I/O error or wrap the same Code.
func sameOutcome(t *testing.T, p1 Packet, err1 error, p2 Packet, err2 error, what string) {
	t.Helper()
	require.Equal(t, p1, p2, what)
	if err1 == nil || err2 == nil {
		require.Equal(t, err1, err2, what)
		return
	}
	var c1, c2 Code
	if errors.As(err1, &c1) {
		require.True(t, errors.As(err2, &c2), "%s: %v vs %v", what, err1, err2)
		require.Equal(t, c1, c2, "%s: %v vs %v", what, err1, err2)
		return
	}
	require.Equal(t, err1, err2, what)
}

// FuzzDecode feeds arbitrary bytes, at version 3 + ver%3, to Decode and to Readers over the
// whole input, over two reads split at ver/3, and over one-byte reads. It checks that nothing
// panics, that all ways agree, and that a packet that decodes re-encodes to bytes that decode
// to the same packet and re-encode to the same bytes.
func FuzzDecode(f *testing.F) {
	for _, g := range goldens {
		f.Add(g.b, byte(g.v-V31))
	}
	for _, m := range malformed {
		f.Add(m.b, byte(m.v-V31))
	}
	f.Fuzz(func(t *testing.T, data []byte, ver byte) {
		v := V31 + Version(ver%3)
		data = bytes.Clone(data) // decoded packets alias their input; the fuzzer reuses it

		p, n, err := Decode(data, v)
		if err == nil {
			require.LessOrEqual(t, n, len(data))
		}

		readers := map[string]io.Reader{
			"whole": bytes.NewReader(data),
			"split": &splitReader{b: data, split: int(ver/3) % (len(data) + 1)},
			"bytes": iotest.OneByteReader(bytes.NewReader(data)),
		}
		for name, rd := range readers {
			rp, rerr := NewReader(bufio.NewReaderSize(rd, 16), v, 0).Read()
			sameOutcome(t, p, err, rp, rerr, name)
		}
		if err != nil {
			return
		}

		ev := v
		if c, ok := p.(*Connect); ok {
			ev = c.Version
		}
		enc, err := p.Encode(nil, ev)
		require.NoError(t, err, "a decoded %v must encode", p)
		p2, n2, err := Decode(enc, ev)
		require.NoError(t, err, "re-encoded % x", enc)
		require.Equal(t, len(enc), n2)
		require.Equal(t, p, p2)
		enc2, err := p2.Encode(nil, ev)
		require.NoError(t, err)
		require.Equal(t, enc, enc2)
		require.NotEmpty(t, p.String())
	})
}
