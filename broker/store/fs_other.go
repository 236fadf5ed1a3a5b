//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package store

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// lockDir opens dir/LOCK; on this platform it does not keep another process out.
func lockDir(dir string) (io.Closer, error) {
	f, err := os.OpenFile(filepath.Join(dir, "LOCK"), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	return f, nil
}

// syncDir is a no-op where directories cannot be fsynced.
func syncDir(string) error { return nil }
