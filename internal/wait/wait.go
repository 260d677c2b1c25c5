// Package wait is the `appserver-operator wait` subcommand: the wait-for
// init container of a server with spec.dependsOn runs it to hold the server
// back until every dependency answers.
package wait

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Target is one dependency, as the operator writes it (JSON) into the
// WAIT_FOR environment variable of the wait-for container.
type Target struct {
	// TCP is a host:port that must accept a connection.
	TCP string `json:"tcp,omitempty"`
	// HTTP is a URL that must answer GET with the expected status.
	HTTP *HTTPTarget `json:"http,omitempty"`
	// TimeoutSeconds, when above zero, gives up on this target after that
	// long: the wait fails.
	TimeoutSeconds int32 `json:"timeoutSeconds,omitempty"`
}

// HTTPTarget is a URL and the status that means "up" (0: any 2xx).
type HTTPTarget struct {
	URL          string `json:"url"`
	ExpectStatus int32  `json:"expectStatus,omitempty"`
}

// String names the target in logs and errors: "tcp db:5432",
// "http http://auth:8080/health".
func (t Target) String() string {
	if t.HTTP != nil {
		return "http " + t.HTTP.URL
	}
	return "tcp " + t.TCP
}

// Parse reads the WAIT_FOR JSON and checks every target.
func Parse(s string) ([]Target, error) {
	var ts []Target
	if err := json.Unmarshal([]byte(s), &ts); err != nil {
		return nil, fmt.Errorf("parsing the targets: %w", err)
	}
	for i, t := range ts {
		switch {
		case (t.TCP == "") == (t.HTTP == nil):
			return nil, fmt.Errorf("target %d: set exactly one of tcp and http", i)
		case t.TCP != "":
			if _, _, err := net.SplitHostPort(t.TCP); err != nil {
				return nil, fmt.Errorf("target %d: tcp %q: %w", i, t.TCP, err)
			}
		case !strings.HasPrefix(t.HTTP.URL, "http://") && !strings.HasPrefix(t.HTTP.URL, "https://"):
			return nil, fmt.Errorf("target %d: http url %q must start with http:// or https://", i, t.HTTP.URL)
		}
	}
	return ts, nil
}

// Options tune the waiting; the zero value is what the init container uses.
type Options struct {
	// Log receives one line per failed attempt and per target that answers.
	Log io.Writer
	// InitialBackoff (default 1s) doubles after each failed attempt up to
	// MaxBackoff (default 10s).
	InitialBackoff, MaxBackoff time.Duration
	// AttemptTimeout bounds one connection or request (default 5s).
	AttemptTimeout time.Duration
}

func (o Options) withDefaults() Options {
	if o.Log == nil {
		o.Log = io.Discard
	}
	if o.InitialBackoff <= 0 {
		o.InitialBackoff = time.Second
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = 10 * time.Second
	}
	if o.MaxBackoff < o.InitialBackoff {
		o.MaxBackoff = o.InitialBackoff
	}
	if o.AttemptTimeout <= 0 {
		o.AttemptTimeout = 5 * time.Second
	}
	return o
}

// TimeoutError is returned when a target did not answer within its timeout.
type TimeoutError struct {
	Target  Target
	LastErr error
}

func (e *TimeoutError) Error() string {
	return fmt.Sprintf("%s did not answer within %ds: %v", e.Target, e.Target.TimeoutSeconds, e.LastErr)
}

func (e *TimeoutError) Unwrap() error { return e.LastErr }

// Wait checks every target, all at once, each with exponential backoff,
// until all have answered (nil), one timed out (a *TimeoutError, and the
// others are abandoned) or ctx is done.
func Wait(ctx context.Context, targets []Target, o Options) error {
	o = o.withDefaults()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		mu    sync.Mutex
		first error
		wg    sync.WaitGroup
	)
	lw := &lockedWriter{w: o.Log}
	for _, t := range targets {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := waitOne(ctx, t, o, lw); err != nil {
				mu.Lock()
				if first == nil {
					first = err
					cancel()
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return first
}

func waitOne(ctx context.Context, t Target, o Options, log io.Writer) error {
	if t.TimeoutSeconds > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, time.Duration(t.TimeoutSeconds)*time.Second)
		defer cancel()
	}
	backoff := o.InitialBackoff
	for {
		err := check(ctx, t, o.AttemptTimeout)
		if err == nil {
			fmt.Fprintf(log, "%s answers\n", t)
			return nil
		}
		fmt.Fprintf(log, "Waiting for %s: %v (next try in %s)\n", t, err, backoff)
		timer := time.NewTimer(backoff)
		select {
		case <-ctx.Done():
			timer.Stop()
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				return &TimeoutError{Target: t, LastErr: err}
			}
			return fmt.Errorf("waiting for %s: %w", t, ctx.Err())
		case <-timer.C:
		}
		backoff = min(2*backoff, o.MaxBackoff)
	}
}

func check(ctx context.Context, t Target, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if t.HTTP == nil {
		var d net.Dialer
		c, err := d.DialContext(ctx, "tcp", t.TCP)
		if err != nil {
			return err
		}
		return c.Close()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, t.HTTP.URL, nil)
	if err != nil {
		return err
	}
	client := &http.Client{Transport: &http.Transport{
		// The check asks whether the dependency is up, not who it is:
		// in-cluster services mostly have self-signed certificates.
		TLSClientConfig:   &tls.Config{InsecureSkipVerify: true}, //nolint:gosec // liveness check only, no data sent
		DisableKeepAlives: true,
	}}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	_ = resp.Body.Close()
	ok := resp.StatusCode >= 200 && resp.StatusCode < 300
	if t.HTTP.ExpectStatus != 0 {
		ok = resp.StatusCode == int(t.HTTP.ExpectStatus)
	}
	if !ok {
		want := "2xx"
		if t.HTTP.ExpectStatus != 0 {
			want = fmt.Sprint(t.HTTP.ExpectStatus)
		}
		return fmt.Errorf("status %d, want %s", resp.StatusCode, want)
	}
	return nil
}

type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// Main is the subcommand: `appserver-operator wait [flags]` reads the
// targets from $WAIT_FOR (or -targets), logs to stderr and returns the exit
// code: 0 when every target answered, 1 when one timed out or the wait was
// stopped, 2 for bad input.
func Main(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer) int {
	fs := flag.NewFlagSet("wait", flag.ContinueOnError)
	fs.SetOutput(stderr)
	raw := fs.String("targets", getenv("WAIT_FOR"), "Targets as JSON: [{\"tcp\":\"db:5432\"},{\"http\":{\"url\":\"http://auth:8080/health\",\"expectStatus\":200},\"timeoutSeconds\":60}] (default: $WAIT_FOR).")
	var o Options
	fs.DurationVar(&o.InitialBackoff, "initial-backoff", time.Second, "Wait after the first failed attempt; doubles after each.")
	fs.DurationVar(&o.MaxBackoff, "max-backoff", 10*time.Second, "Longest wait between attempts.")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	targets, err := Parse(*raw)
	if err != nil {
		fmt.Fprintln(stderr, "wait:", err)
		return 2
	}
	o.Log = stderr
	names := make([]string, len(targets))
	for i, t := range targets {
		names[i] = t.String()
	}
	fmt.Fprintf(stderr, "Waiting for %s\n", strings.Join(names, ", "))
	if err := Wait(ctx, targets, o); err != nil {
		fmt.Fprintln(stderr, "wait:", err)
		return 1
	}
	fmt.Fprintln(stderr, "Every dependency answers")
	return 0
}
