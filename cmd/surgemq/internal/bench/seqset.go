package bench

import "math/bits"

// seqSet is a set of message sequence numbers from one publisher, as a growing bitmap
// (sequences start at 0 and are dense, so a million messages cost 122 KiB). It is owned by
// one goroutine at a time.
type seqSet struct {
	words []uint64
	n     uint64 // distinct members
	top   uint64 // largest member + 1; 0 when empty
}

// maxSeq bounds the sequence numbers a seqSet accepts, so a corrupt payload cannot make it
// allocate without limit: 2^32 sequences is 512 MiB of bitmap, far beyond any run.
const maxSeq = 1 << 32

// add inserts seq and reports whether it was new. A seq at or beyond maxSeq is refused
// (false, false).
func (s *seqSet) add(seq uint64) (isNew, ok bool) {
	if seq >= maxSeq {
		return false, false
	}
	w := int(seq / 64)
	if w >= len(s.words) {
		s.grow(w + 1)
	}
	bit := uint64(1) << (seq % 64)
	if s.words[w]&bit != 0 {
		return false, true
	}
	s.words[w] |= bit
	s.n++
	s.top = max(s.top, seq+1)
	return true, true
}

// grow makes room for at least n words, doubling to keep appends amortised.
func (s *seqSet) grow(n int) {
	c := max(n, 2*len(s.words), 16)
	w := make([]uint64, c)
	copy(w, s.words)
	s.words = w
}

// has reports whether seq is in the set.
func (s *seqSet) has(seq uint64) bool {
	w := seq / 64
	return w < uint64(len(s.words)) && s.words[w]&(1<<(seq%64)) != 0
}

// loss splits the sequences 0..sent-1 missing from s into gaps (missing below the largest
// sequence received: lost mid-stream) and tail (after it: never delivered, which at QoS 0
// includes what was still in flight when the run ended).
func (s *seqSet) loss(sent uint64) (gaps, tail uint64) {
	top := min(s.top, sent)
	got := s.countBelow(top)
	return top - got, sent - top
}

// countBelow returns how many members are below n.
func (s *seqSet) countBelow(n uint64) uint64 {
	var c uint64
	full := min(n/64, uint64(len(s.words)))
	for _, w := range s.words[:full] {
		c += uint64(bits.OnesCount64(w))
	}
	if r := n % 64; r != 0 && full < uint64(len(s.words)) {
		c += uint64(bits.OnesCount64(s.words[full] & (1<<r - 1)))
	}
	return c
}

// missingFrom returns how many members of want are not in s.
func (s *seqSet) missingFrom(want *seqSet) uint64 {
	var c uint64
	for i, w := range want.words {
		if i < len(s.words) {
			w &^= s.words[i]
		}
		c += uint64(bits.OnesCount64(w))
	}
	return c
}
