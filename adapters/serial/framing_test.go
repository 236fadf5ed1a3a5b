package serial

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/lonelyleaf/surgemq/adapters"
)

func frames(f *framer, chunks ...string) []string {
	var out []string
	for _, c := range chunks {
		f.push([]byte(c), func(b []byte) { out = append(out, string(b)) })
	}
	return out
}

func lineFramer(term string, strip bool, max int) *framer {
	c := DefaultConfig()
	c.Terminator, c.StripCR, c.MaxFrame = term, strip, max
	return newFramer(c)
}

func TestFramerLines(t *testing.T) {
	require.Equal(t, []string{"a", "b", "c"}, frames(lineFramer("\n", true, 100), "a\r\nb", "\n", "c\n"))
	require.Equal(t, []string{"a\r", "b"}, frames(lineFramer("\n", false, 100), "a\r\nb\n"))
	// A two-byte terminator split across reads.
	require.Equal(t, []string{"ab", "cd"}, frames(lineFramer("\r\n", true, 100), "ab\r", "\ncd\r", "\n"))
	// Multi-byte terminators and a long line dropped while the terminator straddles reads.
	f := lineFramer("END", true, 4)
	require.Equal(t, []string{"1234", "ok"}, frames(f, "1234END", "xxxxxxxxE", "N", "DokEND"))
	require.Equal(t, 1, f.dropped)
}

func TestFramerFixedAndIdle(t *testing.T) {
	c := DefaultConfig()
	c.Framing, c.FrameSize = FramingFixed, 3
	f := newFramer(c)
	require.Equal(t, []string{"abc", "def"}, frames(f, "ab", "cdefg"))
	var out []string
	f.idle(func(b []byte) { out = append(out, string(b)) })
	require.Empty(t, out, "fixed framing waits for the rest of the frame")
	require.Equal(t, []string{"ghi"}, frames(f, "hi"))

	c.Framing, c.MaxFrame = FramingIdle, 4
	f = newFramer(c)
	require.Equal(t, []string{"abcd"}, frames(f, "abcdef"))
	f.idle(func(b []byte) { out = append(out, string(b)) })
	require.Equal(t, []string{"ef"}, out)
	f.idle(func(b []byte) { out = append(out, string(b)) })
	require.Equal(t, []string{"ef"}, out, "nothing pending, nothing emitted")
}

func TestFramerEmitsCopies(t *testing.T) {
	f := lineFramer("\n", true, 100)
	var kept [][]byte
	emit := func(b []byte) { kept = append(kept, b) }
	f.push([]byte("one\ntw"), emit)
	f.push([]byte("o\nthree\n"), emit)
	require.Equal(t, [][]byte{[]byte("one"), []byte("two"), []byte("three")}, kept)
}

func TestDecodeTx(t *testing.T) {
	for _, tc := range []struct {
		enc  Encoding
		in   string
		want string
		ok   bool
	}{
		{EncodingText, "hi there", "hi there", true},
		{EncodingHex, "DE ad\tbe\nEF", "\xde\xad\xbe\xef", true},
		{EncodingHex, "abc", "", false},
		{EncodingHex, "zz", "", false},
		{EncodingBase64, " aGk= ", "hi", true},
		{EncodingBase64, "aGk", "hi", true},
		{EncodingBase64, "!!", "", false},
		{EncodingJSON, `{"data":"hi","ts":"x"}`, "hi", true},
		{EncodingJSON, `{"data":"aGk=","base64":true}`, "hi", true},
		{EncodingJSON, `{"data":"!","base64":true}`, "", false},
		{EncodingJSON, `[1]`, "", false},
	} {
		got, err := decodeTx(tc.enc, []byte(tc.in))
		if !tc.ok {
			require.ErrorIs(t, err, ErrInvalidPayload, "%s %q", tc.enc, tc.in)
			continue
		}
		require.NoError(t, err, "%s %q", tc.enc, tc.in)
		require.Equal(t, tc.want, string(got))
	}
}

// BenchmarkFramerLines measures line framing of NMEA-like input, 4 KiB reads.
func BenchmarkFramerLines(b *testing.B) {
	line := []byte("$GPGGA,123519,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,*47\r\n")
	chunk := bytes.Repeat(line, 4096/len(line))
	f := lineFramer("\n", true, 4096)
	n := 0
	emit := func([]byte) { n++ }
	b.SetBytes(int64(len(chunk)))
	b.ReportAllocs()
	for b.Loop() {
		f.push(chunk, emit)
	}
	if n == 0 {
		b.Fatal("no frames")
	}
}

// TestTxCopiesPayload: the queued bytes never alias the handler's Message.Payload, which the
// client may reuse after the handler returns.
func TestTxCopiesPayload(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Name, cfg.Path = "x", "/dev/null"
	p, err := New(cfg, nil)
	require.NoError(t, err)
	p.online.Store(true)
	buf := []byte("ATZ#####")
	txq := make(chan []byte, 1)
	p.onTx(adapters.Message{Topic: "t", Payload: buf[:3]}, txq)
	require.Equal(t, "ATZ#####", string(buf), "spare capacity untouched")
	copy(buf, "xxx")
	require.Equal(t, "ATZ\n", string(<-txq))
}
