package pingmq

import (
	"fmt"
	"math/big"
	"net/netip"
	"strconv"
	"strings"
)

// MaxHosts caps how many hosts one Config may expand to (a /16 has 65,534).
const MaxHosts = 65536

// host is one expanded target.
type host struct {
	name string // as configured (host name) or the IP address: used in topics
	addr string // what is pinged: the IP address or the host name to resolve
}

// ExpandTarget expands one configured target into the hosts it names:
//
//   - an IP address: "10.0.0.1", "::1" — itself;
//   - a host name: "router.lan" — itself, resolved before every round;
//   - a CIDR prefix: "10.0.0.0/28" — every address in it except, for IPv4 prefixes of /30 and
//     shorter, the network and broadcast addresses (a /30 gives 2 hosts, a /28 14; /31 and /32
//     give all, RFC 3021). For IPv6 the all-zeros subnet-router anycast address is skipped below
//     /127. Unlike nmap, which scans network and broadcast too, a monitor has no use for them;
//   - an IPv4 octet range as the old SurgeMQ pingmq accepted: each octet is a number or an
//     inclusive range "a-b", so "10.1.1.1-10" is 10.1.1.1…10.1.1.10 and "10.1.1-2.1" is
//     10.1.1.1 and 10.1.2.1;
//   - an address range "10.0.0.250-10.0.1.5", inclusive.
//
// Addresses come back in ascending order. More than MaxHosts is ErrTooManyHosts.
func ExpandTarget(target string) ([]string, error) {
	hs, err := expand(target, MaxHosts)
	if err != nil {
		return nil, err
	}
	out := make([]string, len(hs))
	for i, h := range hs {
		out[i] = h.addr
	}
	return out, nil
}

func expand(target string, limit int) ([]host, error) {
	t := strings.TrimSpace(target)
	if t == "" {
		return nil, fmt.Errorf("%w: empty target", ErrInvalidTarget)
	}
	switch {
	case strings.Contains(t, "/"):
		return expandPrefix(t, limit)
	case looksLikeRange(t):
		return expandRange(t, limit)
	}
	if a, err := netip.ParseAddr(t); err == nil {
		return []host{{name: a.String(), addr: a.String()}}, nil
	}
	if !validHostName(t) {
		return nil, fmt.Errorf("%w %q: not an IP address, host name, CIDR prefix or range", ErrInvalidTarget, target)
	}
	return []host{{name: t, addr: t}}, nil
}

func expandPrefix(t string, limit int) ([]host, error) {
	p, err := netip.ParsePrefix(t)
	if err != nil {
		return nil, fmt.Errorf("%w %q: %v", ErrInvalidTarget, t, err)
	}
	p = p.Masked()
	hostBits := p.Addr().BitLen() - p.Bits()
	if hostBits > 20 { // > 1M addresses, certainly above MaxHosts
		return nil, fmt.Errorf("%w: %q has 2^%d addresses, the limit is %d", ErrTooManyHosts, t, hostBits, limit)
	}
	n := 1 << hostBits
	first, last := p.Addr(), lastAddr(p)
	skipFirst, skipLast := false, false
	if p.Addr().Is4() && hostBits >= 2 {
		skipFirst, skipLast = true, true // network and broadcast
	} else if p.Addr().Is6() && hostBits >= 2 {
		skipFirst = true // subnet-router anycast
	}
	if skipFirst {
		first = first.Next()
		n--
	}
	if skipLast {
		last = last.Prev()
		n--
	}
	if n > limit {
		return nil, fmt.Errorf("%w: %q has %d hosts, the limit is %d", ErrTooManyHosts, t, n, limit)
	}
	return addrRange(first, last), nil
}

func lastAddr(p netip.Prefix) netip.Addr {
	b := p.Addr().AsSlice()
	for i := p.Bits(); i < len(b)*8; i++ {
		b[i/8] |= 0x80 >> (i % 8)
	}
	a, _ := netip.AddrFromSlice(b)
	return a
}

func addrRange(first, last netip.Addr) []host {
	var out []host
	for a := first; a.IsValid() && a.Compare(last) <= 0; a = a.Next() {
		out = append(out, host{name: a.String(), addr: a.String()})
	}
	return out
}

// looksLikeRange reports whether t is made of digits, dots and dashes with at least one dash:
// host names may contain dashes, but a host name cannot be all-numeric.
func looksLikeRange(t string) bool {
	if !strings.Contains(t, "-") {
		return false
	}
	for _, r := range t {
		if (r < '0' || r > '9') && r != '.' && r != '-' {
			return false
		}
	}
	return true
}

func expandRange(t string, limit int) ([]host, error) {
	// Full form: a.b.c.d-e.f.g.h
	if lo, hi, ok := strings.Cut(t, "-"); ok && strings.Count(hi, ".") == 3 && strings.Count(lo, ".") == 3 {
		first, err1 := netip.ParseAddr(lo)
		last, err2 := netip.ParseAddr(hi)
		if err1 != nil || err2 != nil || !first.Is4() || !last.Is4() {
			return nil, fmt.Errorf("%w %q: range ends must be IPv4 addresses", ErrInvalidTarget, t)
		}
		if last.Less(first) {
			return nil, fmt.Errorf("%w %q: range end is below its start", ErrInvalidTarget, t)
		}
		n := new(big.Int).Sub(new(big.Int).SetBytes(last.AsSlice()), new(big.Int).SetBytes(first.AsSlice()))
		if n.Cmp(big.NewInt(int64(limit))) >= 0 {
			return nil, fmt.Errorf("%w: %q has more than %d hosts", ErrTooManyHosts, t, limit)
		}
		return addrRange(first, last), nil
	}
	// Octet form: each of the 4 octets is "n" or "a-b".
	parts := strings.Split(t, ".")
	if len(parts) != 4 {
		return nil, fmt.Errorf("%w %q: an octet range needs 4 octets like 10.1.1.1-10", ErrInvalidTarget, t)
	}
	var lo, hi [4]int
	total := 1
	for i, p := range parts {
		a, b, isRange := strings.Cut(p, "-")
		var err error
		if lo[i], err = octet(a); err != nil {
			return nil, fmt.Errorf("%w %q: octet %d: %v", ErrInvalidTarget, t, i+1, err)
		}
		hi[i] = lo[i]
		if isRange {
			if hi[i], err = octet(b); err != nil {
				return nil, fmt.Errorf("%w %q: octet %d: %v", ErrInvalidTarget, t, i+1, err)
			}
			if hi[i] < lo[i] {
				return nil, fmt.Errorf("%w %q: octet %d: range %d-%d is reversed", ErrInvalidTarget, t, i+1, lo[i], hi[i])
			}
		}
		total *= hi[i] - lo[i] + 1
	}
	if total > limit {
		return nil, fmt.Errorf("%w: %q has %d hosts, the limit is %d", ErrTooManyHosts, t, total, limit)
	}
	out := make([]host, 0, total)
	for a := lo[0]; a <= hi[0]; a++ {
		for b := lo[1]; b <= hi[1]; b++ {
			for c := lo[2]; c <= hi[2]; c++ {
				for d := lo[3]; d <= hi[3]; d++ {
					s := netip.AddrFrom4([4]byte{byte(a), byte(b), byte(c), byte(d)}).String()
					out = append(out, host{name: s, addr: s})
				}
			}
		}
	}
	return out, nil
}

func octet(s string) (int, error) {
	if s == "" || len(s) > 3 {
		return 0, fmt.Errorf("%q is not a number 0-255", s)
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 || n > 255 {
		return 0, fmt.Errorf("%q is not a number 0-255", s)
	}
	return n, nil
}

// validHostName reports whether s is a DNS host name: labels of letters, digits, '-' and '_'
// (the latter seen in the wild), 1-63 characters, not starting or ending with '-', 253 total,
// and not all-numeric (that is a mistyped address).
func validHostName(s string) bool {
	s = strings.TrimSuffix(s, ".")
	if s == "" || len(s) > 253 {
		return false
	}
	allDigits := true
	for label := range strings.SplitSeq(s, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, r := range label {
			switch {
			case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r == '-', r == '_':
				allDigits = false
			case r >= '0' && r <= '9':
			default:
				return false
			}
		}
	}
	return !allDigits
}

// topicSegment makes name safe as one topic level: '+', '#', '/' and control characters
// (including NUL) become '_' [MQTT-4.7.1-1] [MQTT-4.7.3-2]. Host names and IP addresses never
// contain them; IPv6 zones ("fe80::1%eth0") keep their '%'.
func topicSegment(name string) string {
	return strings.Map(func(r rune) rune {
		if r == '+' || r == '#' || r == '/' || r < 0x20 || r == 0x7f {
			return '_'
		}
		return r
	}, name)
}

// objectID makes s usable as a Home Assistant object and unique id: [a-zA-Z0-9_-], anything
// else becomes '_'.
func objectID(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-' {
			return r
		}
		return '_'
	}, s)
}
