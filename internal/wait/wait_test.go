package wait

import (
	"bytes"
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// syncBuffer is a log the test reads while Wait writes it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// waitForLog blocks until the log holds n lines containing substr.
func waitForLog(t *testing.T, log *syncBuffer, substr string, n int, done <-chan error) {
	t.Helper()
	deadline := time.After(time.Minute)
	for strings.Count(log.String(), substr) < n {
		select {
		case err := <-done:
			t.Fatalf("Wait returned (%v) before logging %d × %q:\n%s", err, n, substr, log.String())
		case <-deadline:
			t.Fatalf("no %d × %q in the log:\n%s", n, substr, log.String())
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// freeAddr is a loopback address nothing listens on (yet).
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	return addr
}

var fast = Options{InitialBackoff: time.Millisecond, MaxBackoff: 10 * time.Millisecond, AttemptTimeout: time.Second}

// TestTCPWaitsUntilTheListenerOpens: with nothing listening it keeps trying
// (and says so); once a listener opens it returns nil.
func TestTCPWaitsUntilTheListenerOpens(t *testing.T) {
	addr := freeAddr(t)
	log := &syncBuffer{}
	o := fast
	o.Log = log
	done := make(chan error, 1)
	go func() { done <- Wait(context.Background(), []Target{{TCP: addr}}, o) }()

	waitForLog(t, log, "Waiting for tcp "+addr, 3, done)
	l, err := net.Listen("tcp", addr)
	if err != nil {
		t.Skipf("the address was taken meanwhile: %v", err)
	}
	defer func() { _ = l.Close() }()
	if err := <-done; err != nil {
		t.Fatalf("Wait = %v, want nil once the listener is open", err)
	}
	if !strings.Contains(log.String(), "tcp "+addr+" answers") {
		t.Errorf("log does not say the target answers:\n%s", log.String())
	}
}

// TestHTTPWaitsForTheExpectedStatus: 503 keeps it waiting, 200 ends it.
func TestHTTPWaitsForTheExpectedStatus(t *testing.T) {
	var up atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		if up.Load() {
			w.WriteHeader(http.StatusOK)
			return
		}
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	defer srv.Close()
	log := &syncBuffer{}
	o := fast
	o.Log = log
	done := make(chan error, 1)
	go func() {
		done <- Wait(context.Background(), []Target{{HTTP: &HTTPTarget{URL: srv.URL + "/health/ready", ExpectStatus: 200}}}, o)
	}()
	waitForLog(t, log, "status 503, want 200", 2, done)
	up.Store(true)
	if err := <-done; err != nil {
		t.Fatalf("Wait = %v, want nil once the server answers 200", err)
	}
}

// TestTimeoutNamesTheTarget: a target that never answers fails after its
// timeout with an error naming it, while another that answers is fine.
func TestTimeoutNamesTheTarget(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = l.Close() }()
	dead := freeAddr(t)
	err = Wait(context.Background(), []Target{{TCP: l.Addr().String()}, {TCP: dead, TimeoutSeconds: 1}}, fast)
	var te *TimeoutError
	if !errors.As(err, &te) {
		t.Fatalf("Wait = %v, want a *TimeoutError", err)
	}
	if !strings.Contains(err.Error(), "tcp "+dead+" did not answer within 1s") {
		t.Errorf("error %q does not name the target and its timeout", err)
	}
}

// TestMainExitCodes: the subcommand's exit codes and messages, from the
// WAIT_FOR variable as the operator sets it.
func TestMainExitCodes(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = l.Close() }()
	dead := freeAddr(t)
	cases := []struct {
		name, env string
		code      int
		want      string
	}{
		{"answers", `[{"tcp":"` + l.Addr().String() + `"}]`, 0, "Every dependency answers"},
		{"times out", `[{"tcp":"` + dead + `","timeoutSeconds":1}]`, 1, "wait: tcp " + dead + " did not answer within 1s"},
		{"bad JSON", `[{`, 2, "parsing the targets"},
		{"two kinds", `[{"tcp":"a:1","http":{"url":"http://a"}}]`, 2, "set exactly one of tcp and http"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var stderr bytes.Buffer
			getenv := func(k string) string {
				if k == "WAIT_FOR" {
					return tc.env
				}
				return ""
			}
			code := Main(context.Background(), []string{"-initial-backoff=1ms", "-max-backoff=10ms"}, getenv, &stderr)
			if code != tc.code || !strings.Contains(stderr.String(), tc.want) {
				t.Errorf("exit %d, stderr:\n%s\nwant exit %d and %q", code, stderr.String(), tc.code, tc.want)
			}
		})
	}
}
