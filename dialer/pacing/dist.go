package pacing

import (
	"slices"
	"time"
)

// Dist is an empirical distribution of durations: the recent samples the
// dialer measured, no assumed shape. Ring and talk times are skewed and often
// bimodal (quick hang-ups, long conversations), which an exponential model
// would get wrong exactly where it matters: how many of the busy agents finish
// within the next few seconds.
type Dist struct {
	sorted []time.Duration
	mean   time.Duration
}

// NewDist builds the distribution of samples (copied).
func NewDist(samples []time.Duration) *Dist {
	s := slices.Clone(samples)
	slices.Sort(s)
	var sum time.Duration
	for _, v := range s {
		sum += v
	}
	d := &Dist{sorted: s}
	if len(s) > 0 {
		d.mean = sum / time.Duration(len(s))
	}
	return d
}

// Len is the number of samples.
func (d *Dist) Len() int {
	if d == nil {
		return 0
	}
	return len(d.sorted)
}

// Mean of the samples (0 without samples).
func (d *Dist) Mean() time.Duration {
	if d == nil {
		return 0
	}
	return d.mean
}

// Survival is P(T > t).
func (d *Dist) Survival(t time.Duration) float64 {
	if d.Len() == 0 {
		return 0
	}
	// the first index with a sample > t
	i, _ := slices.BinarySearchFunc(d.sorted, t, func(v, t time.Duration) int {
		if v <= t {
			return -1
		}
		return 1
	})
	return float64(len(d.sorted)-i) / float64(len(d.sorted))
}

// EndsWithin is P(T <= elapsed+h | T > elapsed): the chance that something
// that has lasted elapsed ends within h more. Past the longest sample it is 1:
// nothing observed lasted longer.
func (d *Dist) EndsWithin(elapsed, h time.Duration) float64 {
	alive := d.Survival(elapsed)
	if alive == 0 {
		return 1
	}
	return 1 - d.Survival(elapsed+h)/alive
}
