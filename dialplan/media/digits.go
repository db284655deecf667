package media

// Digits collects what a caller types after a prompt (played with Play). The
// application that owns the channel feeds it the digits of the channel's
// ChannelDtmfReceived events, in order, and times the input out itself: the
// toolkit keeps no timers, so that the application's loop stays the one clock.
type Digits struct {
	Max        int    // input ends after this many digits; 0 no limit
	Terminator string // a digit that ends the input ("#"); it is not kept
	got        []byte
	done       bool
}

// Add takes one digit and reports whether the input is complete. Digits after
// the input is complete are ignored.
func (d *Digits) Add(digit string) (done bool) {
	if d.done || digit == "" {
		return d.done
	}
	if digit == d.Terminator {
		d.done = true
		return true
	}
	d.got = append(d.got, digit...)
	d.done = d.Max > 0 && len(d.got) >= d.Max
	return d.done
}

// Value is what was typed so far (without the terminator).
func (d *Digits) Value() string { return string(d.got) }

// Done reports whether the input is complete.
func (d *Digits) Done() bool { return d.done }
