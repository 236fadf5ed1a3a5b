package pingmq

import (
	"bytes"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestSelectMode(t *testing.T) {
	eperm := errors.New("operation not permitted")
	eacces := errors.New("permission denied")
	for _, tc := range []struct {
		mode           Mode
		rawOK, dgramOK bool
		privileged     bool
		fail           bool
		fix            []string
	}{
		{mode: ModeAuto, rawOK: true, privileged: true},
		{mode: ModeAuto, dgramOK: true, privileged: false},
		{mode: ModeAuto, fail: true, fix: []string{"setcap cap_net_raw+ep", "net.ipv4.ping_group_range='0 2147483647'", "AmbientCapabilities=CAP_NET_RAW"}},
		{mode: ModePrivileged, rawOK: true, dgramOK: true, privileged: true},
		{mode: ModePrivileged, dgramOK: true, fail: true, fix: []string{"setcap cap_net_raw+ep", "AmbientCapabilities=CAP_NET_RAW"}},
		{mode: ModeUnprivileged, rawOK: true, fail: true, fix: []string{"ping_group_range"}},
		{mode: ModeUnprivileged, dgramOK: true, privileged: false},
	} {
		cfg := DefaultConfig()
		cfg.Targets = []string{"127.0.0.1"}
		cfg.Mode = tc.mode
		var logs bytes.Buffer
		m, err := New(cfg, slog.New(slog.NewTextHandler(&logs, nil)))
		require.NoError(t, err)
		var probed []bool
		m.probe = func(privileged bool) error {
			probed = append(probed, privileged)
			if privileged && !tc.rawOK {
				return eperm
			}
			if !privileged && !tc.dgramOK {
				return eacces
			}
			return nil
		}
		name := string(tc.mode)
		priv, err := m.selectMode()
		if !tc.fail {
			require.NoError(t, err, name)
			require.Equal(t, tc.privileged, priv, name)
			continue
		}
		require.ErrorIs(t, err, ErrNoICMP, name)
		out := logs.String()
		require.Equal(t, 1, strings.Count(out, "\n"), "one log line: %s", out)
		require.Contains(t, out, "level=ERROR")
		for _, f := range tc.fix {
			require.Contains(t, out, f, name)
		}
		if tc.mode == ModePrivileged {
			require.NotContains(t, out, "ping_group_range", "privileged mode needs CAP_NET_RAW")
			require.Equal(t, []bool{true}, probed)
		}
		if tc.mode == ModeUnprivileged {
			require.NotContains(t, out, "setcap")
			require.Equal(t, []bool{false}, probed)
		}
	}
}

func TestRunWithoutICMPReturnsError(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Targets = []string{"127.0.0.1"}
	m, err := New(cfg, nil)
	require.NoError(t, err)
	m.probe = func(bool) error { return errors.New("operation not permitted") }
	err = m.Run(t.Context(), nil)
	require.ErrorIs(t, err, ErrNoICMP)
	require.Contains(t, err.Error(), "operation not permitted")
}
