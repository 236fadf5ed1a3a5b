package bench

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"time"
)

// clockTicks is USER_HZ, the unit of /proc/PID/stat times: 100 on every Linux architecture
// Go supports (the kernel fixes it for user space whatever CONFIG_HZ is).
const clockTicks = 100

// procCPU returns the user+system CPU time process pid has used, from /proc/PID/stat.
func procCPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, fmt.Errorf("%w: %w", ErrNoProc, err)
	}
	return parseStatCPU(b)
}

// parseStatCPU extracts utime+stime (fields 14 and 15) from a /proc/PID/stat line. The
// command name (field 2) is in parentheses and may itself contain spaces and ')'.
func parseStatCPU(b []byte) (time.Duration, error) {
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, fmt.Errorf("%w: malformed stat line", ErrNoProc)
	}
	f := bytes.Fields(b[i+1:]) // f[0] is field 3 (state)
	if len(f) < 13 {
		return 0, fmt.Errorf("%w: short stat line", ErrNoProc)
	}
	var ticks int64
	for _, s := range f[11:13] {
		n, err := strconv.ParseInt(string(s), 10, 64)
		if err != nil || n < 0 {
			return 0, fmt.Errorf("%w: bad cpu time %q", ErrNoProc, s)
		}
		ticks += n
	}
	return time.Duration(ticks) * time.Second / clockTicks, nil
}

// procMem returns process pid's resident set size and its peak, in KiB, from
// /proc/PID/status.
func procMem(pid int) (rss, peak int64, err error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, 0, fmt.Errorf("%w: %w", ErrNoProc, err)
	}
	return parseStatusMem(b)
}

// parseStatusMem extracts VmRSS and VmHWM (kB) from /proc/PID/status.
func parseStatusMem(b []byte) (rss, peak int64, err error) {
	rss, peak = -1, -1
	for line := range bytes.Lines(b) {
		var dst *int64
		switch {
		case bytes.HasPrefix(line, []byte("VmRSS:")):
			dst = &rss
		case bytes.HasPrefix(line, []byte("VmHWM:")):
			dst = &peak
		default:
			continue
		}
		f := bytes.Fields(line)
		if len(f) != 3 || string(f[2]) != "kB" {
			return 0, 0, fmt.Errorf("%w: malformed %q", ErrNoProc, bytes.TrimSpace(line))
		}
		if *dst, err = strconv.ParseInt(string(f[1]), 10, 64); err != nil {
			return 0, 0, fmt.Errorf("%w: malformed %q", ErrNoProc, bytes.TrimSpace(line))
		}
	}
	if rss < 0 || peak < 0 {
		return 0, 0, fmt.Errorf("%w: no VmRSS/VmHWM (a kernel thread or zombie?)", ErrNoProc)
	}
	return rss, peak, nil
}

// brokerSample is the broker's CPU time at one moment, when a pid was given.
type brokerSample struct {
	cpu time.Duration
	ok  bool
}

func sampleBroker(pid int) (brokerSample, error) {
	if pid == 0 {
		return brokerSample{}, nil
	}
	d, err := procCPU(pid)
	if err != nil {
		return brokerSample{}, err
	}
	return brokerSample{cpu: d, ok: true}, nil
}
