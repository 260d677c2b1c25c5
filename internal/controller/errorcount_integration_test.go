//go:build integration

package controller_test

import (
	"sync"

	"github.com/go-logr/logr"
)

// reconcileErrors counts the controller's "Reconciler error" log lines by
// "namespace/name": each is one reconcile that returned an error, and so
// one retry through the workqueue's rate limiter (TestApplyFailureBacksOff).
var reconcileErrors = &errorCounter{n: map[string]int{}}

type errorCounter struct {
	mu sync.Mutex
	n  map[string]int
}

func (c *errorCounter) get(key string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n[key]
}

// countingSink passes every call on to its sink and counts reconcile errors.
type countingSink struct {
	logr.LogSink
	values []any
	count  *errorCounter
}

func (s countingSink) WithValues(kv ...any) logr.LogSink {
	return countingSink{LogSink: s.LogSink.WithValues(kv...), values: append(append([]any{}, s.values...), kv...), count: s.count}
}

func (s countingSink) WithName(name string) logr.LogSink {
	return countingSink{LogSink: s.LogSink.WithName(name), values: s.values, count: s.count}
}

func (s countingSink) Error(err error, msg string, kv ...any) {
	if msg == "Reconciler error" {
		var ns, name string
		all := append(append([]any{}, s.values...), kv...)
		for i := 0; i+1 < len(all); i += 2 {
			switch all[i] {
			case "namespace":
				ns, _ = all[i+1].(string)
			case "name":
				name, _ = all[i+1].(string)
			}
		}
		s.count.mu.Lock()
		s.count.n[ns+"/"+name]++
		s.count.mu.Unlock()
	}
	s.LogSink.Error(err, msg, kv...)
}
