package mqtttest

import (
	"regexp"
	"testing"
	"time"
)

func TestBufferWaitMatchTimesOut(t *testing.T) {
	var b Buffer
	_, _ = b.Write([]byte("starting\n"))
	if m := b.waitMatch(regexp.MustCompile(`ready`), 20*time.Millisecond); m != nil {
		t.Fatalf("matched %q in %q", m, b.String())
	}
}
