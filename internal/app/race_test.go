//go:build race

package app_test

// raceDetector is on: timing tests only check what does not depend on speed.
const raceDetector = true
