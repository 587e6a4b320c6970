//go:build !unix

package main

import "time"

// ownCPU is not measured where getrusage is missing.
func ownCPU() (time.Duration, bool) { return 0, false }
