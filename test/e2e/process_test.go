//go:build e2e

package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/appserver-operator/appserver-operator/internal/testutil"
)

// localProcess is a program the e2e runs on this machine (the operator, the
// stand-in, the log shipper, VictoriaLogs, Prometheus): it can be started
// again after it exited (the same arguments, its output appended to the same
// log file), killed, or stopped. One goroutine per run reaps it, so callers
// wait on exited and never call cmd.Wait themselves. A supervisor (see
// supervise) may start it again from another goroutine: cmd and exited are
// read through current.
type localProcess struct {
	what string // in messages: "the operator"
	bin  string
	args []string
	env  []string // nil: the test's own environment
	log  string   // stdout and stderr of every run

	mu     sync.Mutex
	cmd    *exec.Cmd
	exited chan struct{} // closed once cmd has exited and been reaped
}

// newLocalProcess prepares a process; start runs it. When the test ends it
// is stopped (SIGTERM, then SIGKILL after stopTimeout) and, if the test
// failed, the last tailBytes of its log are printed.
func newLocalProcess(t *testing.T, what, bin, log string, args, env []string, stopTimeout time.Duration, tailBytes int) *localProcess {
	t.Helper()
	p := &localProcess{what: what, bin: bin, args: args, env: env, log: log}
	t.Cleanup(func() {
		p.stop(stopTimeout)
		if t.Failed() && tailBytes > 0 {
			if out, err := os.ReadFile(p.log); err == nil {
				t.Logf("%s log (last %d bytes):\n%s", what, tailBytes, testutil.Tail(string(out), tailBytes))
			}
		}
	})
	return p
}

// start runs the process once more; the previous run must have exited.
func (p *localProcess) start(t *testing.T) {
	t.Helper()
	if err := p.launch(); err != nil {
		t.Fatal(err)
	}
}

// launch is start for a caller that is not the test's goroutine.
func (p *localProcess) launch() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd != nil && !closed(p.exited) {
		return fmt.Errorf("starting %s: it is still running", p.what)
	}
	f, err := os.OpenFile(p.log, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	cmd := exec.Command(p.bin, p.args...)
	cmd.Env = p.env
	cmd.Stdout, cmd.Stderr = f, f
	if err := cmd.Start(); err != nil {
		f.Close()
		return fmt.Errorf("starting %s (%s): %w", p.what, p.bin, err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); f.Close(); close(exited) }()
	p.cmd, p.exited = cmd, exited
	return nil
}

// current returns the last run (nil before the first) and its exit channel.
func (p *localProcess) current() (*exec.Cmd, chan struct{}) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.cmd, p.exited
}

func closed(c chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}

// pid is the process id of the last run.
func (p *localProcess) pid() int {
	cmd, _ := p.current()
	return cmd.Process.Pid
}

// signal sends sig to the last run.
func (p *localProcess) signal(sig os.Signal) error {
	cmd, _ := p.current()
	return cmd.Process.Signal(sig)
}

// kill is kill -9 (no shutdown, no flush), and waits until it is reaped.
func (p *localProcess) kill(t *testing.T) {
	t.Helper()
	cmd, exited := p.current()
	if cmd == nil || closed(exited) {
		t.Fatalf("killing %s: it is not running", p.what)
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatalf("killing %s: %v", p.what, err)
	}
	<-exited
}

// stop sends SIGTERM and waits up to timeout before SIGKILL. It does nothing
// when the process is not running.
func (p *localProcess) stop(timeout time.Duration) {
	cmd, exited := p.current()
	if cmd == nil || closed(exited) {
		return
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-exited:
	case <-time.After(timeout):
		_ = cmd.Process.Kill()
		<-exited
	}
}

// waitExit waits up to timeout for the process to exit and returns its exit
// code; on timeout it kills the process and fails the test.
func (p *localProcess) waitExit(t *testing.T, timeout time.Duration) int {
	t.Helper()
	cmd, exited := p.current()
	select {
	case <-exited:
		return cmd.ProcessState.ExitCode()
	case <-time.After(timeout):
		_ = cmd.Process.Kill()
		<-exited
		t.Fatalf("%s did not exit within %s", p.what, timeout)
		return -1
	}
}
