//go:build unix

package main

import (
	"syscall"
	"time"
)

// ownCPU is the CPU time this process has used, user and system together:
// the raw MariaDB baseline runs in it, with no server of its own to ask.
func ownCPU() (time.Duration, bool) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, false
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), true
}
