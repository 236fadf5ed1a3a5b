package store

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// buildRich applies a mix of every mutation and returns the state it should leave and the
// payloads of the live messages.
func buildRich(t *testing.T, s *Store) (*State, map[MsgID]Message) {
	t.Helper()
	msgs := map[MsgID]Message{}
	put := func(m Message) MsgID {
		id, err := s.PutMessage(m)
		require.NoError(t, err)
		msgs[id] = m
		return id
	}
	m1 := put(Message{Topic: "a/b", Payload: []byte("one"), QoS: 1})
	m2 := put(Message{Topic: "a/c", Payload: payload(300, "xyz"), QoS: 2, Retain: true, Props: []byte{0x01, 0x02}, Expiry: 1700000000})
	m3 := put(Message{Topic: "a/d", QoS: 1}) // empty payload
	m4 := put(Message{Topic: "dead", Payload: []byte("dropped later"), QoS: 1})
	m5 := put(Message{Topic: "retained/x", Payload: []byte("r1"), QoS: 0, Retain: true})
	m6 := put(Message{Topic: "retained/x", Payload: []byte("r2"), QoS: 0, Retain: true})

	subs := []Subscription{{Filter: "a/#", QoS: 2, Flags: 0x0c}, {Filter: "b/+", QoS: 1}}
	require.NoError(t, s.PutSession("alice", 3600, subs))
	require.NoError(t, s.PutSession("bob", 0xFFFFFFFF, []Subscription{{Filter: "x", QoS: 0}}))
	require.NoError(t, s.PutSession("gone", 10, nil))
	require.NoError(t, s.Enqueue("alice", Queued{Msg: m1, QoS: 1}))
	require.NoError(t, s.Enqueue("alice", Queued{Msg: m2, QoS: 2, Retain: true}))
	require.NoError(t, s.Enqueue("alice", Queued{Msg: m4, QoS: 1}))
	require.NoError(t, s.Enqueue("alice", Queued{Msg: m3, QoS: 1}))
	require.NoError(t, s.Enqueue("bob", Queued{Msg: m2, QoS: 1}))
	require.NoError(t, s.Enqueue("gone", Queued{Msg: m1, QoS: 1}))
	require.NoError(t, s.SetInflight("alice", m1, 7, false))
	require.NoError(t, s.SetInflight("alice", m2, 8, false))
	require.NoError(t, s.SetInflight("alice", m2, 8, true))
	require.NoError(t, s.Dequeue("alice", m4))
	require.NoError(t, s.AddInbound("alice", 11))
	require.NoError(t, s.AddInbound("alice", 12))
	require.NoError(t, s.AddInbound("alice", 13))
	require.NoError(t, s.RemoveInbound("alice", 12))
	require.NoError(t, s.SetRetained("retained/x", m5))
	require.NoError(t, s.SetRetained("retained/x", m6))
	require.NoError(t, s.SetRetained("a/c", m2))
	require.NoError(t, s.SetRetained("tmp", m3))
	require.NoError(t, s.ClearRetained("tmp"))
	will := &Will{Msg: Message{Topic: "will/bob", Payload: []byte("bye"), QoS: 1, Retain: true, Props: []byte{9}}, Due: 1700000123}
	require.NoError(t, s.SetWill("bob", will))
	require.NoError(t, s.SetWill("alice", &Will{Msg: Message{Topic: "w"}, Due: 5}))
	require.NoError(t, s.SetWill("alice", nil))
	require.NoError(t, s.SessionDisconnected("bob", 1700000100))
	require.NoError(t, s.SessionDisconnected("alice", 1700000050))
	require.NoError(t, s.PutSession("alice", 7200, subs)) // reconnect: connected again
	require.NoError(t, s.DeleteSession("gone"))
	require.NoError(t, s.Enqueue("implicit", Queued{Msg: m3, QoS: 0}))
	delete(msgs, m4) // no reference left
	delete(msgs, m5)

	want := &State{
		Sessions: []Session{
			{
				ClientID: "alice", Expiry: 7200, Subs: subs,
				Queue: []Queued{
					{Msg: m1, QoS: 1, PacketID: 7},
					{Msg: m2, QoS: 2, Retain: true, PacketID: 8, Released: true},
					{Msg: m3, QoS: 1},
				},
				InboundQoS2: []uint16{11, 13},
			},
			{
				ClientID: "bob", Expiry: 0xFFFFFFFF, DisconnectedAt: 1700000100,
				Subs: []Subscription{{Filter: "x", QoS: 0}}, Queue: []Queued{{Msg: m2, QoS: 1}},
				Will: will,
			},
			{ClientID: "implicit", Queue: []Queued{{Msg: m3, QoS: 0}}},
		},
		Retained: map[string]MsgID{"retained/x": m6, "a/c": m2},
	}
	return want, msgs
}

func requireMessages(t *testing.T, s *Store, msgs map[MsgID]Message) {
	t.Helper()
	for id, m := range msgs {
		got, err := s.Message(id)
		require.NoError(t, err, "message %d", id)
		require.Equal(t, m, got, "message %d", id)
	}
}

func TestRoundTrip(t *testing.T) {
	for _, mode := range []FsyncMode{FsyncAlways, FsyncInterval} {
		t.Run(mode.String(), func(t *testing.T) {
			opts := Options{Dir: t.TempDir(), Fsync: mode}
			s, st := open(t, opts)
			require.Empty(t, st.Sessions)
			require.Empty(t, st.Retained)
			want, msgs := buildRich(t, s)
			require.Equal(t, want, liveState(s))
			requireMessages(t, s, msgs) // from the buffer or the file
			require.NoError(t, s.Sync())
			requireMessages(t, s, msgs)

			s, st = reopen(t, s, opts)
			require.Equal(t, want, st)
			requireMessages(t, s, msgs)
			require.Equal(t, len(msgs), s.Stats().Messages, "unreferenced messages dropped")
			_, err := s.Message(1 + 3) // m4: dequeued, nothing references it
			require.ErrorIs(t, err, ErrNotFound)

			// Appending after a reopen continues the same log.
			id, err := s.PutMessage(Message{Topic: "later", Payload: []byte("z")})
			require.NoError(t, err)
			require.Greater(t, id, MsgID(6))
			require.NoError(t, s.Enqueue("bob", Queued{Msg: id, QoS: 1}))
			want.Sessions[1].Queue = append(want.Sessions[1].Queue, Queued{Msg: id, QoS: 1})
			_, st = reopen(t, s, opts)
			require.Equal(t, want, st)
		})
	}
}

func TestMessageIDsNeverReused(t *testing.T) {
	opts := Options{Dir: t.TempDir()}
	s, _ := open(t, opts)
	var last MsgID
	for range 3 {
		id, err := s.PutMessage(Message{Topic: "t", Payload: []byte("p")})
		require.NoError(t, err)
		require.NoError(t, s.Enqueue("c", Queued{Msg: id}))
		require.NoError(t, s.Dequeue("c", id))
		last = id
	}
	require.NoError(t, s.Compact()) // no message left anywhere on disk
	s, _ = reopen(t, s, opts)
	id, err := s.PutMessage(Message{Topic: "t"})
	require.NoError(t, err)
	require.Greater(t, id, last)
}

func TestErrors(t *testing.T) {
	opts := Options{Dir: t.TempDir()}
	s, _ := open(t, opts)
	id, err := s.PutMessage(Message{Topic: "t", Payload: []byte("p"), QoS: 1})
	require.NoError(t, err)

	_, err = s.PutMessage(Message{Topic: "t", QoS: 3})
	require.ErrorIs(t, err, ErrInvalid)
	_, err = s.PutMessage(Message{Topic: string(make([]byte, 70000))})
	require.ErrorIs(t, err, ErrInvalid)
	require.ErrorIs(t, s.PutSession("c", 0, []Subscription{{Filter: "f", QoS: 5}}), ErrInvalid)
	require.ErrorIs(t, s.Enqueue("c", Queued{Msg: id, QoS: 3}), ErrInvalid)
	require.ErrorIs(t, s.AddInbound("c", 0), ErrInvalid)

	require.ErrorIs(t, s.Enqueue("c", Queued{Msg: 999}), ErrNotFound)
	require.ErrorIs(t, s.SetRetained("t", 999), ErrNotFound)
	require.ErrorIs(t, s.SessionDisconnected("nobody", 1), ErrNotFound)
	require.ErrorIs(t, s.Dequeue("nobody", id), ErrNotFound)
	require.ErrorIs(t, s.SetInflight("nobody", id, 1, false), ErrNotFound)
	require.ErrorIs(t, s.RemoveInbound("nobody", 1), ErrNotFound)
	_, err = s.Message(999)
	require.ErrorIs(t, err, ErrNotFound)

	require.NoError(t, s.Enqueue("c", Queued{Msg: id}))
	require.ErrorIs(t, s.Enqueue("c", Queued{Msg: id}), ErrExists)
	require.ErrorIs(t, s.Dequeue("c", id+1), ErrNotFound)
	require.NoError(t, s.AddInbound("c", 5))
	require.ErrorIs(t, s.AddInbound("c", 5), ErrExists)
	require.ErrorIs(t, s.RemoveInbound("c", 6), ErrNotFound)

	// No-ops append nothing.
	recs := s.Stats().Records
	require.NoError(t, s.DeleteSession("nobody"))
	require.NoError(t, s.ClearRetained("nothing"))
	require.NoError(t, s.SetWill("c", nil))
	require.Equal(t, recs, s.Stats().Records)

	// A second Open of the same directory is refused while the first holds it.
	_, _, err = Open(opts)
	require.ErrorIs(t, err, ErrLocked)

	_, _, err = Open(Options{})
	require.ErrorIs(t, err, ErrInvalid)
	_, _, err = Open(Options{Dir: t.TempDir(), Fsync: 7})
	require.ErrorIs(t, err, ErrInvalid)

	require.NoError(t, s.Close())
	require.ErrorIs(t, s.Close(), ErrClosed)
	_, err = s.PutMessage(Message{Topic: "t"})
	require.ErrorIs(t, err, ErrClosed)
	require.ErrorIs(t, s.Enqueue("c", Queued{Msg: id}), ErrClosed)
	require.ErrorIs(t, s.Sync(), ErrClosed)
	require.ErrorIs(t, s.Compact(), ErrClosed)
	_, err = s.Message(id)
	require.ErrorIs(t, err, ErrClosed)
}

func TestVersionRefused(t *testing.T) {
	dir := t.TempDir()
	b, s := begin(nil, recHeader)
	b = append(b, magic...)
	b = append(b, formatVersion+1, kindLog, 1, 0, 0, 0, 0, 0, 0, 0)
	b = end(b, s)
	require.NoError(t, os.WriteFile(filepath.Join(dir, segName(1)), b, 0o600))
	_, _, err := Open(Options{Dir: dir})
	require.ErrorIs(t, err, ErrVersion)
}

// Records larger than the replay read buffer are streamed through the checksum, read back
// whole, and survive compaction.
func TestLargeRecords(t *testing.T) {
	opts := Options{Dir: t.TempDir()}
	s, _ := open(t, opts)
	big := Message{Topic: "big", Payload: payload(readBuffer*2+123, "0123456789abcdef"), QoS: 1}
	id, err := s.PutMessage(big)
	require.NoError(t, err)
	require.NoError(t, s.Enqueue("c", Queued{Msg: id, QoS: 1}))
	will := &Will{Msg: Message{Topic: "w", Payload: payload(readBuffer+1, "w")}, Due: 3}
	require.NoError(t, s.SetWill("c", will))
	s, st := reopen(t, s, opts)
	require.Equal(t, will, st.Sessions[0].Will)
	got, err := s.Message(id)
	require.NoError(t, err)
	require.Equal(t, big, got)
	require.NoError(t, s.Compact())
	got, err = s.Message(id)
	require.NoError(t, err)
	require.Equal(t, big, got)
	s, st = reopen(t, s, opts)
	require.Equal(t, []Queued{{Msg: id, QoS: 1}}, st.Sessions[0].Queue)
	got, err = s.Message(id)
	require.NoError(t, err)
	require.Equal(t, big, got)
}

// Out-of-order enqueues (an old retained message queued after newer ones) still find,
// dequeue and reject duplicates correctly; long queues drained from the head stay consistent.
func TestQueueOrder(t *testing.T) {
	opts := Options{Dir: t.TempDir(), Fsync: FsyncInterval}
	s, _ := open(t, opts)
	var ids []MsgID
	for i := range 300 {
		id, err := s.PutMessage(Message{Topic: "t", Payload: fmt.Appendf(nil, "%d", i)})
		require.NoError(t, err)
		ids = append(ids, id)
	}
	var want []Queued
	for _, id := range ids[10:] {
		require.NoError(t, s.Enqueue("c", Queued{Msg: id}))
		want = append(want, Queued{Msg: id})
	}
	for _, id := range ids[:10] { // older ids after newer ones
		require.NoError(t, s.Enqueue("c", Queued{Msg: id}))
		want = append(want, Queued{Msg: id})
	}
	require.ErrorIs(t, s.Enqueue("c", Queued{Msg: ids[5]}), ErrExists)
	require.ErrorIs(t, s.Enqueue("c", Queued{Msg: ids[200]}), ErrExists)
	// Drain most from the head, some from the middle.
	for _, q := range want[:150] {
		require.NoError(t, s.Dequeue("c", q.Msg))
	}
	require.NoError(t, s.Dequeue("c", want[200].Msg))
	require.NoError(t, s.SetInflight("c", want[201].Msg, 42, false))
	want = append(want[150:200:200], want[201:]...)
	want[50].PacketID = 42
	require.Equal(t, want, liveState(s).Sessions[0].Queue)
	_, st := reopen(t, s, opts)
	require.Equal(t, want, st.Sessions[0].Queue)
}

// With FsyncInterval, records become durable within the interval without any Sync.
func TestFsyncIntervalFlushes(t *testing.T) {
	opts := Options{Dir: t.TempDir(), Fsync: FsyncInterval, FsyncInterval: 20 * time.Millisecond}
	s, _ := open(t, opts)
	id, err := s.PutMessage(Message{Topic: "t", Payload: []byte("p")})
	require.NoError(t, err)
	require.NoError(t, s.Enqueue("c", Queued{Msg: id}))
	require.NoError(t, s.Sync()) // returns at once
	deadline := time.Now().Add(5 * time.Second)
	for s.Stats().Fsyncs == 0 {
		require.True(t, time.Now().Before(deadline), "no background fsync")
		time.Sleep(5 * time.Millisecond)
	}
	crashed := copyDir(t, opts.Dir)
	s2, st := open(t, Options{Dir: crashed})
	require.Equal(t, []Queued{{Msg: id}}, st.Sessions[0].Queue)
	require.NoError(t, s2.Close())
}

// The declared record sizes are what the encoders write (the live byte count relies on it).
func TestRecordSizes(t *testing.T) {
	m := Message{Topic: "a/b/c", Payload: payload(200, "p"), QoS: 2, Retain: true, Props: []byte{1, 2, 3}, Expiry: -5}
	subs := []Subscription{{Filter: "x/#", QoS: 1, Flags: 3}, {Filter: string(make([]byte, 300)), QoS: 2}}
	long := string(make([]byte, 200)) // two-byte uvarint length
	for _, cid := range []string{"", "c", long} {
		cases := []struct {
			size int
			b    []byte
		}{
			{messageSize(&m), appendMessage(nil, 1<<60, &m)},
			{sessionSize(cid, subs), appendSession(nil, cid, 1, subs)},
			{sessionSize(cid, nil), appendSession(nil, cid, 1, nil)},
			{disconnectedSize(cid), appendDisconnected(nil, cid, 1)},
			{deleteSessionSize(cid), appendDeleteSession(nil, cid)},
			{enqueueSize(cid), appendEnqueue(nil, cid, Queued{Msg: 1, QoS: 2, Retain: true, PacketID: 9, Released: true})},
			{inflightSize(cid), appendInflight(nil, cid, 1, 2, true)},
			{dequeueSize(cid), appendDequeue(nil, cid, 1)},
			{inboundSize(cid), appendInbound(nil, recAddInbound, cid, 1)},
			{setRetainedSize(cid), appendSetRetained(nil, cid, 1)},
			{clearRetainedSize(cid), appendClearRetained(nil, cid)},
			{willSize(cid, nil), appendWill(nil, cid, nil)},
			{willSize(cid, &Will{Msg: m, Due: 4}), appendWill(nil, cid, &Will{Msg: m, Due: 4})},
			{headerSize, appendHeader(nil, kindSnapshot, 77)},
		}
		for i, c := range cases {
			require.Equal(t, c.size, len(c.b), "case %d", i)
		}
	}
	id, got, err := decodeMessage(appendMessage(nil, 5, &m)[frameHeader:])
	require.NoError(t, err)
	require.Equal(t, MsgID(5), id)
	require.Equal(t, m, got)
}

// Every prefix and every single-byte corruption of every record body decodes to an error or
// a value, never a panic.
func TestDecodeGarbage(t *testing.T) {
	m := Message{Topic: "a/b", Payload: []byte("pp"), QoS: 1, Props: []byte{1}}
	recs := [][]byte{
		appendMessage(nil, 1, &m), appendSession(nil, "c", 1, []Subscription{{Filter: "f", QoS: 1}}),
		appendEnqueue(nil, "c", Queued{Msg: 1}), appendWill(nil, "c", &Will{Msg: m}),
		appendHeader(nil, kindLog, 1),
	}
	for _, r := range recs {
		body := r[frameHeader:]
		for n := 0; n <= len(body); n++ {
			_, _, _ = decodeMessage(body[:n])
			_, _ = decodeHeader(body[:n])
			d := decoder{b: body[:n]}
			decodeSubs(&d)
			d = decoder{b: body[:n]}
			decodeWill(&d)
		}
		for i := range body {
			c := append([]byte(nil), body...)
			c[i] ^= 0xff
			_, _, _ = decodeMessage(c)
			d := decoder{b: c}
			_ = d.str("x")
			decodeSubs(&d)
			decodeQueued(&d)
		}
	}
	_, _, err := decodeMessage(nil)
	require.ErrorIs(t, err, ErrCorrupt)
	require.True(t, errors.Is(decoderErr([]byte{0xff}), ErrCorrupt))
}

func decoderErr(b []byte) error {
	d := decoder{b: b}
	_ = d.str("s")
	return d.err
}
