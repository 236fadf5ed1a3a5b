package topic

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestValidName(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want error
	}{
		{"simple", "sport/tennis/player1", nil},
		{"one level", "a", nil},
		{"leading slash", "/finance", nil},
		{"trailing slash", "finance/", nil},
		{"only slash", "/", nil},
		{"empty levels", "a//b", nil},
		{"space", "sport/tennis player", nil},
		{"dollar", "$SYS/broker/uptime", nil},
		{"share prefix", "$share/g/a", nil},
		{"unicode", "haus/küche/温度", nil},
		{"four byte utf8", "emoji/\U0001F600", nil},
		{"max length", strings.Repeat("a", MaxLen), nil},
		{"empty", "", ErrEmpty},
		{"too long", strings.Repeat("a", MaxLen+1), ErrTooLong},
		{"plus", "sport/+", ErrWildcardInName},
		{"hash", "sport/#", ErrWildcardInName},
		{"hash inside level", "sport#", ErrWildcardInName},
		{"plus inside level", "a+b", ErrWildcardInName},
		{"null", "a\x00b", ErrInvalidUTF8},
		{"bad byte", "a\xffb", ErrInvalidUTF8},
		{"truncated rune", "a\xe2\x82", ErrInvalidUTF8},
		{"overlong slash", "a\xc0\xafb", ErrInvalidUTF8},
		{"surrogate", "a\xed\xa0\x80", ErrInvalidUTF8},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ValidName(tt.in)
			if tt.want == nil {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, tt.want)
		})
	}
}

func TestValidFilter(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want error
	}{
		{"exact", "sport/tennis/player1", nil},
		{"hash alone", "#", nil},
		{"plus alone", "+", nil},
		{"trailing hash", "sport/tennis/player1/#", nil},
		{"plus levels", "+/tennis/#", nil},
		{"plus plus", "+/+", nil},
		{"leading slash plus", "/+", nil},
		{"plus in middle", "sport/+/player1", nil},
		{"plus then empty", "+/", nil},
		{"slash hash", "/#", nil},
		{"empty levels", "a//b", nil},
		{"dollar", "$SYS/#", nil},
		{"unicode", "haus/küche/+", nil},
		{"max length", strings.Repeat("a", MaxLen), nil},
		{"empty", "", ErrEmpty},
		{"too long", strings.Repeat("a", MaxLen+1), ErrTooLong},
		{"null", "a/\x00", ErrInvalidUTF8},
		{"bad utf8", "a/\xff/#", ErrInvalidUTF8},
		{"hash not last", "sport/tennis/#/ranking", ErrBadWildcard},
		{"hash not alone", "sport/tennis#", ErrBadWildcard},
		{"hash first not alone", "#a", ErrBadWildcard},
		{"hash then slash", "#/", ErrBadWildcard},
		{"two hashes", "##", ErrBadWildcard},
		{"plus not alone after", "sport+", ErrBadWildcard},
		{"plus not alone before", "+sport", ErrBadWildcard},
		{"plus inside", "sport/a+b/c", ErrBadWildcard},
		{"plus plus same level", "++", ErrBadWildcard},
		{"plus hash same level", "+#", ErrBadWildcard},
		// Shared subscriptions, MQTT 5.0 section 4.8.2.
		{"share", "$share/g/a/#", nil},
		{"share plus", "$share/group1/+/temp", nil},
		{"share hash", "$share/g/#", nil},
		{"share dollar inner", "$share/g/$SYS/#", nil},
		{"share unicode group", "$share/grüppe/a", nil},
		{"share empty group", "$share//a", ErrBadShare},
		{"share plus group", "$share/+/a", ErrBadShare},
		{"share hash group", "$share/#/a", ErrBadShare},
		{"share group with plus", "$share/g+/a", ErrBadShare},
		{"share no filter", "$share/g", ErrBadShare},
		{"share empty filter", "$share/g/", ErrBadShare},
		{"share nothing", "$share/", ErrBadShare},
		{"share bad inner", "$share/g/a#", ErrBadWildcard},
		{"share bad inner plus", "$share/g/a/b+", ErrBadWildcard},
		{"share word only", "$share", nil},
		{"share other case", "$SHARE/g/a", nil},
		{"share not prefix", "a/$share/g/b", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ValidFilter(tt.in)
			if tt.want == nil {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, tt.want)
		})
	}
}

func TestValidAllocs(t *testing.T) {
	var err error
	allocs := testing.AllocsPerRun(100, func() {
		err = ValidName("site/3/device/417/temp")
		if err == nil {
			err = ValidFilter("$share/g/site/+/device/#")
		}
	})
	require.NoError(t, err)
	require.Zero(t, allocs)
}

func TestParseShared(t *testing.T) {
	tests := []struct {
		in           string
		group, inner string
		ok           bool
	}{
		{"$share/g/a/#", "g", "a/#", true},
		{"$share/group1/sport/+/player", "group1", "sport/+/player", true},
		{"$share/g/#", "g", "#", true},
		{"$share/g/", "g", "", true},
		{"$share/g", "g", "", true},
		{"$share//a", "", "a", true},
		{"$share/", "", "", true},
		{"$share", "", "", false},
		{"$SHARE/g/a", "", "", false},
		{"share/g/a", "", "", false},
		{"a/$share/g/b", "", "", false},
		{"", "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			group, inner, ok := ParseShared(tt.in)
			require.Equal(t, tt.ok, ok)
			require.Equal(t, tt.group, group)
			require.Equal(t, tt.inner, inner)
			require.Equal(t, tt.ok, IsShared(tt.in))
		})
	}
}
