//go:build e2e

package e2e

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	appsv1 "k8s.io/api/apps/v1"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/appserver-operator/appserver-operator/api/v1alpha1"
)

// applyCRD applies a CRD file server-side and waits until the API server
// serves it. It polls instead of 'kubectl wait --for=condition=Established',
// which fails at once ("accessor error: <nil> is of the type <nil>") when it
// reads a CRD before its first status (kubernetes/kubernetes#66439).
func applyCRD(t *testing.T, path string) {
	t.Helper()
	kubectl(t, "apply", "--server-side", "-f", path)
	eventually(t, time.Minute, "the ApplicationServer CRD to be Established", func() error {
		out, err := kubectlErr("get", "crd", "applicationservers.appserver.dev",
			"-o", `jsonpath={.status.conditions[?(@.type=="Established")].status}`)
		if err != nil || out != "True" {
			return fmt.Errorf("established %q (%w)", out, err)
		}
		return nil
	})
}

// leaseName is the operator's leader-election ID (internal/operator.DefaultOptions).
const leaseName = "appserver-operator.appserver.dev"

// metricSum scrapes the operator's metrics endpoint and sums the samples of
// one family whose labels include match. found is false when no sample
// matched (a follower has no controller metrics, say). Errors are returned,
// not fatal: the process may be gone on purpose.
func (p *operatorProcess) metricSum(family string, match map[string]string) (sum float64, found bool, err error) {
	hc := http.Client{Timeout: 2 * time.Second}
	resp, err := hc.Get("http://" + p.metricsAddr + "/metrics")
	if err != nil {
		return 0, false, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, false, fmt.Errorf("GET /metrics: %s", resp.Status)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		return 0, false, err
	}
	f, ok := families[family]
	if !ok {
		return 0, false, nil
	}
next:
	for _, m := range f.GetMetric() {
		labels := map[string]string{}
		for _, l := range m.GetLabel() {
			labels[l.GetName()] = l.GetValue()
		}
		for k, v := range match {
			if labels[k] != v {
				continue next
			}
		}
		found = true
		sum += m.GetGauge().GetValue() + m.GetCounter().GetValue() + m.GetUntyped().GetValue()
	}
	return sum, found, nil
}

// leaderStatus reads leader_election_master_status for our lease: 1 on the
// leader, 0 on a candidate that does not hold it, absent without leader
// election.
func (p *operatorProcess) leaderStatus() (leader, present bool, err error) {
	v, found, err := p.metricSum("leader_election_master_status", map[string]string{"name": leaseName})
	return v == 1, found, err
}

// reconciles is controller_runtime_reconcile_total of the ApplicationServer
// controller, all results together; 0 when the controller never started.
func (p *operatorProcess) reconciles(t *testing.T) float64 {
	t.Helper()
	v, _, err := p.metricSum("controller_runtime_reconcile_total", map[string]string{"controller": "applicationserver"})
	if err != nil {
		t.Fatalf("reading the reconcile counter: %v", err)
	}
	return v
}

// leaseHolder returns the holderIdentity of the leader-election Lease in ns
// ("" when released or absent).
func leaseHolder(ns string) (string, error) {
	l := &coordinationv1.Lease{}
	if err := k8s.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: leaseName}, l); err != nil {
		if apierrors.IsNotFound(err) {
			return "", nil
		}
		return "", err
	}
	if l.Spec.HolderIdentity == nil {
		return "", nil
	}
	return *l.Spec.HolderIdentity, nil
}

// errTouched marks the finding that an ApplicationServer was reconciled.
var errTouched = errors.New("reconciled")

// untouched returns nil when the ApplicationServer at key carries no trace of
// a reconcile: no status at all, and neither a Deployment nor a Service of
// its name.
func untouched(key client.ObjectKey) error {
	ctx := context.Background()
	as := &v1alpha1.ApplicationServer{}
	if err := k8s.Get(ctx, key, as); err != nil {
		return err
	}
	if as.Status.ObservedGeneration != 0 || len(as.Status.Conditions) > 0 || as.Status.Ready != "" {
		return fmt.Errorf("%w: %s has a status: %+v", errTouched, key, as.Status)
	}
	for _, obj := range []client.Object{&appsv1.Deployment{}, &corev1.Service{}} {
		err := k8s.Get(ctx, key, obj)
		if err == nil {
			return fmt.Errorf("%w: %s has a %T", errTouched, key, obj)
		}
		if !apierrors.IsNotFound(err) {
			return err
		}
	}
	return nil
}

// stayUntouched checks untouched(key) every 200ms for window: absence can only
// be shown over a time window, and this one is bounded.
func stayUntouched(t *testing.T, key client.ObjectKey, window time.Duration) {
	t.Helper()
	deadline := time.Now().Add(window)
	for time.Now().Before(deadline) {
		if err := untouched(key); err != nil {
			t.Fatalf("the ApplicationServer outside the watched namespaces was reconciled: %v", err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// logLines returns the lines of the operator's log that match re.
func (p *operatorProcess) logLines(t *testing.T, re *regexp.Regexp) []string {
	t.Helper()
	out, err := os.ReadFile(p.log)
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, l := range strings.Split(string(out), "\n") {
		if re.MatchString(l) {
			lines = append(lines, l)
		}
	}
	return lines
}
