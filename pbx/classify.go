// Package pbx turns what the AMI reports about calls ccd does not control —
// extension-to-extension, inbound direct, outbound, holds, dial attempts, CDRs,
// device states — into events in the event log, classified internal/external and
// inbound/outbound. Extension statistics and the agents' Int*/Ext* columns are built
// from these events.
package pbx

import (
	"regexp"
	"strings"
)

// Direction of a call leg, from the point of view of the PBX.
const (
	Internal = "internal" // extension to extension
	Inbound  = "inbound"  // external number to extension
	Outbound = "outbound" // extension to external number
	Transit  = "transit"  // external to external (a forwarded or trunk-to-trunk call)
)

// Classifier decides which numbers are extensions of this PBX.
type Classifier struct {
	internal *regexp.Regexp
}

// NewClassifier compiles the internal-number pattern (config pbx.internal_numbers).
func NewClassifier(pattern string) (*Classifier, error) {
	re, err := regexp.Compile(pattern)
	if err != nil {
		return nil, err
	}
	return &Classifier{internal: re}, nil
}

// IsInternal reports whether number is an extension.
func (c *Classifier) IsInternal(number string) bool {
	return number != "" && c.internal.MatchString(number)
}

// Direction classifies a leg from one number to another.
func (c *Classifier) Direction(from, to string) string {
	fi, ti := c.IsInternal(from), c.IsInternal(to)
	switch {
	case fi && ti:
		return Internal
	case !fi && ti:
		return Inbound
	case fi && !ti:
		return Outbound
	default:
		return Transit
	}
}

// ChannelResource is the endpoint part of a channel name: "PJSIP/1001-00000003" is
// 1001, "Local/1002@agents-0000000d;1" is 1002, "SIP/trunk-0001" is trunk.
func ChannelResource(channel string) string {
	_, rest, ok := strings.Cut(channel, "/")
	if !ok {
		return ""
	}
	if at := strings.IndexByte(rest, '@'); at >= 0 {
		return rest[:at]
	}
	if dash := strings.LastIndexByte(rest, '-'); dash >= 0 {
		return rest[:dash]
	}
	return rest
}

// DialedNumber is the number in a Dial() string: "PJSIP/1002" is 1002,
// "PJSIP/004512345678@trunk" is 004512345678, "1002@agents" (a Local dial) is 1002,
// and of several targets ("PJSIP/1001&PJSIP/1002") the first.
func DialedNumber(dialString string) string {
	s, _, _ := strings.Cut(dialString, "&")
	s, _, _ = strings.Cut(s, ",")
	if _, rest, ok := strings.Cut(s, "/"); ok {
		s = rest
	}
	s, _, _ = strings.Cut(s, "@")
	return s
}

// cleanNumber drops Asterisk's placeholder for an absent caller ID.
func cleanNumber(n string) string {
	if n == "<unknown>" {
		return ""
	}
	return n
}
