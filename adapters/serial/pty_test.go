//go:build linux

package serial

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// link points the symlink at path to target atomically (like udev's /dev/serial/by-id links).
func link(t *testing.T, path, target string) {
	t.Helper()
	tmp := path + ".new"
	_ = os.Remove(tmp)
	require.NoError(t, os.Symlink(target, tmp))
	require.NoError(t, os.Rename(tmp, path))
}

// devLink returns a symlink path in a fresh temporary directory pointing at target.
func devLink(t *testing.T, target string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "usb-test-if00")
	link(t, path, target)
	return path
}
