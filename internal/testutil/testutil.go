// Package testutil holds helpers shared by the integration and end-to-end
// tests. Only tests import it.
package testutil

import (
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

// Tail returns the last n bytes of s, for printing a process's output.
func Tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}
