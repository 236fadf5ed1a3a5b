package store

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzReplay: whatever follows a valid header, in an older or in the last segment, Open
// succeeds, and the store it opens can be compacted and reopened.
func FuzzReplay(f *testing.F) {
	m := Message{Topic: "a", Payload: []byte("p"), QoS: 1}
	var rec []byte
	rec = appendMessage(rec, 1, &m)
	rec = appendEnqueue(rec, "c", Queued{Msg: 1, QoS: 1})
	rec = appendSession(rec, "c", 5, []Subscription{{Filter: "a", QoS: 1}})
	rec = appendWill(rec, "c", &Will{Msg: m, Due: 1})
	rec = appendSetRetained(rec, "a", 1)
	f.Add(rec, false)
	f.Add(rec[:len(rec)-3], true)
	f.Add([]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, false)
	f.Fuzz(func(t *testing.T, data []byte, older bool) {
		dir := t.TempDir()
		seg := append(appendHeader(nil, kindLog, 1), data...)
		if err := os.WriteFile(filepath.Join(dir, segName(1)), seg, 0o600); err != nil {
			t.Fatal(err)
		}
		if older {
			if err := os.WriteFile(filepath.Join(dir, segName(2)), append(appendHeader(nil, kindLog, 1), rec...), 0o600); err != nil {
				t.Fatal(err)
			}
		}
		s, st, err := Open(Options{Dir: dir})
		if err != nil {
			t.Fatal(err)
		}
		for _, ss := range st.Sessions {
			for _, q := range ss.Queue {
				if _, err := s.Message(q.Msg); err != nil {
					t.Fatal(err)
				}
			}
		}
		if err := s.Compact(); err != nil {
			t.Fatal(err)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		s, st2, err := Open(Options{Dir: dir})
		if err != nil {
			t.Fatal(err)
		}
		if len(st2.Sessions) != len(st.Sessions) || len(st2.Retained) != len(st.Retained) {
			t.Fatalf("compaction changed the state: %+v → %+v", st, st2)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	})
}
