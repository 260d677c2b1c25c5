//go:build e2e

package e2e

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/appserver-operator/appserver-operator/api/v1alpha1"
)

// leaseDuration is controller-runtime's default, which the operator keeps
// (with a 2 s retry period: a candidate takes an expired lease within about
// two retries of its expiry, as seen from its own clock).
const leaseDuration = 15 * time.Second

// electedOne waits until exactly one of the candidates reports that it leads
// (leader_election_master_status 1) while the others report 0, and the Lease
// names a holder. It returns the leader, the other candidates and the holder.
func electedOne(t *testing.T, leaseNS string, timeout time.Duration, candidates ...*operatorProcess) (leader *operatorProcess, others []*operatorProcess, holder string) {
	t.Helper()
	eventually(t, timeout, "exactly one leader", func() error {
		leader, others = nil, nil
		for i, p := range candidates {
			lead, present, err := p.leaderStatus()
			switch {
			case err != nil:
				return fmt.Errorf("operator %d: %w", i, err)
			case !present:
				return fmt.Errorf("operator %d has no leader_election_master_status: not a candidate", i)
			case lead && leader != nil:
				return errors.New("two operators report that they lead")
			case lead:
				leader = p
			default:
				others = append(others, p)
			}
		}
		if leader == nil {
			return errors.New("no operator leads yet")
		}
		var err error
		if holder, err = leaseHolder(leaseNS); err != nil || holder == "" {
			return fmt.Errorf("lease holder %q (%w)", holder, err)
		}
		return nil
	})
	return leader, others, holder
}

func TestLeaderElection(t *testing.T) {
	applyCRD(t, filepath.Join(root, "config", "crd", "bases")) // before startOperator: see applyCRD
	leaseNS := newNamespace(t, "lease")
	ns := newNamespace(t, "leader")
	args := []string{"--leader-elect", "--leader-election-namespace", leaseNS}
	ops := []*operatorProcess{startOperator(t, nil, args...), startOperator(t, nil, args...)}

	leader, others, holder := electedOne(t, leaseNS, time.Minute, ops...)
	follower := others[0]
	t.Logf("lease held by %s (operator %d)", holder, map[*operatorProcess]int{ops[0]: 0, ops[1]: 1}[leader])

	first := newAppServer(ns, "first", 1)
	before := leader.reconciles(t)
	if err := k8s.Create(context.Background(), first); err != nil {
		t.Fatal(err)
	}
	waitCondition(t, client.ObjectKeyFromObject(first), v1alpha1.ConditionAvailable, metav1.ConditionTrue, 2*time.Minute)
	if after := leader.reconciles(t); after <= before {
		t.Errorf("the leader's reconcile count did not grow (%v -> %v)", before, after)
	}
	if n := follower.reconciles(t); n != 0 {
		t.Fatalf("the follower reconciled %v times; only the leader may reconcile", n)
	}
	// A standby without the lease is healthy and ready (its caches synced),
	// so a rollout of the operator's Deployment is not held up by it.
	for _, path := range []string{"/healthz", "/readyz"} {
		if code, err := follower.probe(path); err != nil || code != http.StatusOK {
			t.Errorf("follower %s: %d (%v), want 200", path, code, err)
		}
	}

	// kill -9: no release, so the follower must wait for the lease to expire.
	leader.kill(t)
	killed := time.Now()
	second := newAppServer(ns, "second", 1)
	if err := k8s.Create(context.Background(), second); err != nil {
		t.Fatal(err)
	}

	eventually(t, leaseDuration+time.Minute, "the follower to take over", func() error {
		// Read the server before the follower's status: a status found while
		// the follower (read later) still does not lead was written by no
		// leader at all.
		if err := untouched(client.ObjectKeyFromObject(second)); errors.Is(err, errTouched) {
			if lead, _, _ := follower.leaderStatus(); !lead {
				t.Fatalf("reconciled while no operator led: %v", err)
			}
		}
		lead, _, err := follower.leaderStatus()
		if err != nil {
			return err
		}
		if !lead {
			return errors.New("the follower does not lead yet")
		}
		return nil
	})
	takeover := time.Since(killed)
	t.Logf("take-over after kill -9 of the leader: %s (lease duration %s)", takeover.Round(100*time.Millisecond), leaseDuration)
	if limit := leaseDuration + 10*time.Second; takeover > limit {
		t.Errorf("take-over took %s, want at most the lease duration plus 10s (%s)", takeover, limit)
	}
	if h, err := leaseHolder(leaseNS); err != nil || h == "" || h == holder {
		t.Errorf("lease holder after take-over: %q (%v), want a holder other than the killed leader %q", h, err, holder)
	}

	waitCondition(t, client.ObjectKeyFromObject(second), v1alpha1.ConditionAvailable, metav1.ConditionTrue, 2*time.Minute)
	if n := follower.reconciles(t); n == 0 {
		t.Errorf("the new leader's reconcile count is 0, yet the second server converged")
	}
	waitCondition(t, client.ObjectKeyFromObject(first), v1alpha1.ConditionAvailable, metav1.ConditionTrue, 30*time.Second)
}

func TestGracefulShutdownReleasesTheLease(t *testing.T) {
	applyCRD(t, filepath.Join(root, "config", "crd", "bases")) // before startOperator: see applyCRD
	leaseNS := newNamespace(t, "release")
	args := []string{"--leader-elect", "--leader-election-namespace", leaseNS}
	first := startOperator(t, nil, args...)
	_, _, holder := electedOne(t, leaseNS, time.Minute, first)

	if err := first.signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	stopping := time.Now()
	if code := first.waitExit(t, 25*time.Second); code != 0 {
		t.Fatalf("exit code %d after SIGTERM, want 0", code)
	}
	t.Logf("exited with code 0 %s after SIGTERM", time.Since(stopping).Round(10*time.Millisecond))
	// The release is written before the process exits: no waiting here.
	if h, err := leaseHolder(leaseNS); err != nil || h != "" {
		t.Fatalf("lease holder after a graceful shutdown: %q (%v), want empty (released; was %q)", h, err, holder)
	}

	started := time.Now()
	second := startOperator(t, nil, args...)
	// A lease that was not released would keep the newcomer waiting a whole
	// lease duration; a released one is taken at the first attempt.
	_, _, next := electedOne(t, leaseNS, leaseDuration+time.Minute, second)
	elected := time.Since(started)
	t.Logf("a new operator led %s after its start (lease duration %s)", elected.Round(100*time.Millisecond), leaseDuration)
	if limit := leaseDuration / 2; elected > limit {
		t.Errorf("the new operator took %s to lead, want well under the lease duration (at most %s)", elected, limit)
	}
	if next == holder {
		t.Errorf("the new lease holder %q is the stopped operator", next)
	}
}
