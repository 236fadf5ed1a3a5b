package bench

import (
	"math"
	"math/bits"
	"time"
)

// Latencies are kept in a log-linear histogram: values below 2^(histSubBits+1) ns have a
// bucket each, above that every power of two is split into 2^histSubBits buckets, so a
// bucket is at most 1/128 (0.8 %) of its value wide. Values above histMax are clamped.
const (
	histSubBits = 7
	histSub     = 1 << histSubBits                            // 128 buckets per power of two
	histMaxBits = 42                                          // values up to 2^42 ns, about 73 minutes
	histBuckets = (histMaxBits-histSubBits)*histSub + histSub // last index + 1
	histMax     = 1<<histMaxBits - 1
)

// histogram counts latencies in nanoseconds. It is owned by one goroutine; merge the
// histograms of several goroutines once they are done.
type histogram struct {
	counts []uint64 // allocated on the first record
	n      uint64
	sum    float64
	min    int64
	max    int64
}

// bucketOf returns the bucket index of v (0 <= v <= histMax).
func bucketOf(v int64) int {
	if v < 2*histSub {
		return int(v)
	}
	shift := bits.Len64(uint64(v)) - histSubBits - 1
	return shift*histSub + int(v>>shift)
}

// bucketRange returns the smallest value of bucket i and the bucket's width.
func bucketRange(i int) (lo, width int64) {
	if i < 2*histSub {
		return int64(i), 1
	}
	shift := i/histSub - 1
	return int64(i%histSub+histSub) << shift, 1 << shift
}

// record adds one latency. Negative values (a clock step between publisher and subscriber)
// count as 0.
func (h *histogram) record(ns int64) {
	ns = min(max(ns, 0), histMax)
	if h.counts == nil {
		h.counts = make([]uint64, histBuckets)
		h.min = ns
	}
	h.counts[bucketOf(ns)]++
	h.n++
	h.sum += float64(ns)
	h.min = min(h.min, ns)
	h.max = max(h.max, ns)
}

// merge adds o's counts to h.
func (h *histogram) merge(o *histogram) {
	if o.n == 0 {
		return
	}
	if h.counts == nil {
		h.counts = make([]uint64, histBuckets)
		h.min = o.min
	}
	for i, c := range o.counts {
		h.counts[i] += c
	}
	h.n += o.n
	h.sum += o.sum
	h.min = min(h.min, o.min)
	h.max = max(h.max, o.max)
}

// quantile returns the value at quantile q (0 < q <= 1): the middle of the bucket holding
// the ceil(q*n)-th smallest value, clamped to the exact minimum and maximum (and the maximum
// itself for the largest rank). It returns 0 for an empty histogram.
func (h *histogram) quantile(q float64) int64 {
	if h.n == 0 {
		return 0
	}
	rank := uint64(math.Ceil(q * float64(h.n)))
	rank = min(max(rank, 1), h.n)
	if rank == h.n {
		return h.max // the largest value is known exactly
	}
	var seen uint64
	for i, c := range h.counts {
		seen += c
		if seen >= rank {
			lo, w := bucketRange(i)
			return min(max(lo+(w-1)/2, h.min), h.max)
		}
	}
	return h.max
}

// mean returns the exact mean, or 0 for an empty histogram.
func (h *histogram) mean() float64 {
	if h.n == 0 {
		return 0
	}
	return h.sum / float64(h.n)
}

// Latency summarises a latency distribution in microseconds.
type Latency struct {
	Count uint64  `json:"count"`
	Min   float64 `json:"min_us"`
	Mean  float64 `json:"mean_us"`
	P50   float64 `json:"p50_us"`
	P99   float64 `json:"p99_us"`
	P999  float64 `json:"p999_us"`
	Max   float64 `json:"max_us"`
}

// summary returns h as a Latency report.
func (h *histogram) summary() Latency {
	us := func(ns int64) float64 { return float64(ns) / float64(time.Microsecond) }
	return Latency{
		Count: h.n,
		Min:   us(h.min),
		Mean:  h.mean() / float64(time.Microsecond),
		P50:   us(h.quantile(0.50)),
		P99:   us(h.quantile(0.99)),
		P999:  us(h.quantile(0.999)),
		Max:   us(h.max),
	}
}
