// Package testutil holds helpers shared by the integration and end-to-end
// tests. Only tests import it.
package testutil

import (
	"fmt"
	"slices"
	"testing"
	"time"
)

// Eventually calls cond every interval until it returns nil, and fails the
// test with cond's last error when timeout passes first. It is the
// wait-for-condition the tests use instead of fixed sleeps.
func Eventually(t testing.TB, timeout, interval time.Duration, what string, cond func() error) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		err := cond()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s: %v", timeout, what, err)
		}
		time.Sleep(interval)
	}
}

// Settled waits until the values read returns (a process's counters) have
// not changed for quiet, and fails the test when timeout passes first. It
// is how a test knows that a controller has finished what it was doing.
func Settled(t testing.TB, timeout, quiet time.Duration, what string, read func() []float64) {
	t.Helper()
	var last []float64
	since := time.Now()
	Eventually(t, timeout, 100*time.Millisecond, what, func() error {
		now := read()
		if !slices.Equal(now, last) {
			last, since = now, time.Now()
		}
		if d := time.Since(since); d < quiet {
			return fmt.Errorf("last moved %s ago (now %v)", d.Round(time.Millisecond), now)
		}
		return nil
	})
}

// Tail returns the last n bytes of s, for printing a process's output.
func Tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}
