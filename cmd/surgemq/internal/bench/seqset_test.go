package bench

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func addAll(t *testing.T, s *seqSet, seqs ...uint64) (dups int) {
	t.Helper()
	for _, q := range seqs {
		isNew, ok := s.add(q)
		require.True(t, ok)
		if !isNew {
			dups++
		}
	}
	return dups
}

func TestSeqSetGapsTailDuplicates(t *testing.T) {
	var s seqSet
	// 12 sent; 3, 4, 7, 8 lost mid-stream, 10 and 11 never arrived, 5 and 0 came twice,
	// 6 overtook 5.
	dups := addAll(t, &s, 0, 1, 2, 6, 5, 9, 5, 0)
	require.Equal(t, 2, dups)
	require.Equal(t, uint64(6), s.n)
	gaps, tail := s.loss(12)
	require.Equal(t, uint64(4), gaps)
	require.Equal(t, uint64(2), tail)

	gaps, tail = s.loss(10) // everything up to the top was sent: no tail
	require.Equal(t, uint64(4), gaps)
	require.Zero(t, tail)
	require.True(t, s.has(9))
	require.False(t, s.has(8))
	require.False(t, s.has(1<<20))
}

func TestSeqSetAcrossWords(t *testing.T) {
	var s seqSet
	addAll(t, &s, 63, 64, 127, 128, 1000)
	gaps, tail := s.loss(1002)
	require.Equal(t, uint64(1001-5), gaps)
	require.Equal(t, uint64(1), tail)
	require.Equal(t, uint64(1), s.countBelow(64))
	require.Equal(t, uint64(2), s.countBelow(65))
	require.Equal(t, uint64(4), s.countBelow(129))
	require.Equal(t, uint64(5), s.countBelow(1<<30))
}

func TestSeqSetEmptyAndNothingLost(t *testing.T) {
	var s seqSet
	gaps, tail := s.loss(5)
	require.Zero(t, gaps)
	require.Equal(t, uint64(5), tail)

	for q := range uint64(300) {
		addAll(t, &s, q)
	}
	gaps, tail = s.loss(300)
	require.Zero(t, gaps)
	require.Zero(t, tail)
}

func TestSeqSetRefusesHugeSequence(t *testing.T) {
	var s seqSet
	isNew, ok := s.add(maxSeq)
	require.False(t, isNew)
	require.False(t, ok)
	require.Empty(t, s.words, "no allocation for a corrupt sequence")
}

func TestSeqSetMissingFrom(t *testing.T) {
	var acked, got seqSet
	addAll(t, &acked, 0, 1, 2, 3, 100, 200)
	addAll(t, &got, 0, 2, 3, 150)                        // 150 delivered without its ack reaching the publisher
	require.Equal(t, uint64(3), got.missingFrom(&acked)) // 1, 100, 200
	var none seqSet
	require.Equal(t, uint64(6), none.missingFrom(&acked))
	require.Zero(t, acked.missingFrom(&none))
}
