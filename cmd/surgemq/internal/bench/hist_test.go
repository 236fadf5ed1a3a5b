package bench

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestBucketsCoverEveryValueOnce(t *testing.T) {
	prevHi := int64(-1)
	for i := range histBuckets {
		lo, w := bucketRange(i)
		require.Equal(t, prevHi+1, lo, "bucket %d starts right after bucket %d", i, i-1)
		require.Equal(t, i, bucketOf(lo))
		require.Equal(t, i, bucketOf(lo+w-1))
		require.LessOrEqual(t, float64(w), max(1, float64(lo)/histSub), "bucket %d is too wide", i)
		prevHi = lo + w - 1
	}
	require.Equal(t, int64(histMax), prevHi)
}

func TestHistogramExactSmallValues(t *testing.T) {
	var h histogram
	for v := int64(100); v >= 1; v-- { // order must not matter
		h.record(v)
	}
	require.Equal(t, uint64(100), h.n)
	require.Equal(t, int64(50), h.quantile(0.50))
	require.Equal(t, int64(99), h.quantile(0.99))
	require.Equal(t, int64(100), h.quantile(0.999))
	require.Equal(t, int64(1), h.quantile(0.001))
	require.Equal(t, 50.5, h.mean())
	s := h.summary()
	require.Equal(t, 0.001, s.Min)
	require.Equal(t, 0.1, s.Max)
	require.Equal(t, 0.05, s.P50)
}

func TestHistogramQuantilesWithinBucketError(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var h histogram
	vals := make([]int64, 10_000)
	for i := range vals {
		vals[i] = int64(rng.ExpFloat64() * 200_000) // ~200 µs, long tail
		h.record(vals[i])
	}
	slices.Sort(vals)
	for _, q := range []float64{0.5, 0.9, 0.99, 0.999} {
		want := vals[int(q*float64(len(vals)))-1] // the ceil(q*n)-th smallest
		got := h.quantile(q)
		require.InEpsilon(t, want, got, 1.0/histSub, "q=%v", q)
	}
	require.Equal(t, vals[0], h.min)
	require.Equal(t, vals[len(vals)-1], h.max)
	require.Equal(t, vals[len(vals)-1], h.quantile(1))
}

func TestHistogramClampsAndMerges(t *testing.T) {
	var a, b, empty histogram
	require.Zero(t, empty.quantile(0.5))
	require.Zero(t, empty.mean())
	a.record(-5) // a clock step: counted as 0
	a.record(1 << 50)
	require.Equal(t, int64(0), a.min)
	require.Equal(t, int64(histMax), a.max)
	b.record(10)
	b.record(20)
	a.merge(&b)
	a.merge(&empty)
	require.Equal(t, uint64(4), a.n)
	require.Equal(t, int64(10), a.quantile(0.5))
	require.Equal(t, int64(20), a.quantile(0.75))
	var c histogram
	c.merge(&b)
	require.Equal(t, int64(10), c.min)
	require.Equal(t, int64(20), c.max)
}
