//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/appserver-operator/appserver-operator/api/v1alpha1"
)

// rssKiB reads the resident set size of a process from /proc (Linux).
func rssKiB(pid int) (int64, error) {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmRSS:" {
			return strconv.ParseInt(f[1], 10, 64)
		}
	}
	return 0, fmt.Errorf("no VmRSS in /proc/%d/status", pid)
}

// TestSecretMemory is the Secret-memory benchmark of config rollouts (make
// bench-secrets; not part of make test): the operator's RSS before and after
// SECRETS (default 2000) unrelated Secrets of 100 KiB appear in a namespace
// it watches, where a server references one Secret. It prints the figures
// (docs/performance.md); the budget is growth below 10 MiB.
func TestSecretMemory(t *testing.T) {
	if os.Getenv("SECRET_MEMORY_BENCH") == "" {
		t.Skip("a benchmark: make bench-secrets")
	}
	if runtime.GOOS != "linux" {
		t.Skip("reads /proc")
	}
	n := 2000
	if v := os.Getenv("SECRETS"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil {
			t.Fatalf("SECRETS=%q: %v", v, err)
		}
	}
	ctx := context.Background()
	ns := newNamespace(t, "secrets")
	p := startOperator(t, []string{"WATCH_NAMESPACE=" + ns})
	if err := k8s.Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "app-env", Namespace: ns},
		Data: map[string][]byte{"PASSWORD": []byte("x")}}); err != nil {
		t.Fatal(err)
	}
	as := newAppServer(ns, "referencing", 1)
	as.Spec.Server.EnvFrom = &v1alpha1.EnvFromSpec{Secrets: []string{"app-env"}}
	if err := k8s.Create(ctx, as); err != nil {
		t.Fatal(err)
	}
	waitCondition(t, keyOf(as), v1alpha1.ConditionAvailable, metav1.ConditionTrue, 3*time.Minute)
	settledReconciles(t, p)
	settle := func() int64 {
		t.Helper()
		// The highest of a few samples a second apart, once the operator is
		// quiet: RSS, not the Go heap, is what a memory limit sees.
		var high int64
		for range 5 {
			time.Sleep(time.Second) // sampling interval of a measurement
			r, err := rssKiB(p.pid())
			if err != nil {
				t.Fatal(err)
			}
			high = max(high, r)
		}
		return high
	}
	before := settle()

	payload := make([]byte, 100<<10)
	for i := range payload {
		payload[i] = byte('a' + i%26)
	}
	start := time.Now()
	var wg sync.WaitGroup
	errs := make(chan error, n)
	sem := make(chan struct{}, 16)
	for i := range n {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("unrelated-%04d", i), Namespace: ns},
				Data: map[string][]byte{"blob": payload}}
			if err := k8s.Create(ctx, s); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("creating Secrets: %v", err)
	}
	created := time.Since(start)
	settledReconciles(t, p)
	after := settle()
	growth := float64(after-before) / 1024
	verdict := "within"
	if growth >= 10 {
		verdict = "OVER"
	}
	report := fmt.Sprintf("| unrelated Secrets | size each | operator RSS before | after | growth | budget |\n"+
		"|---:|---:|---:|---:|---:|---|\n| %d | 100 KiB | %.1f MiB | %.1f MiB | %.1f MiB | < 10 MiB: %s |\n",
		n, float64(before)/1024, float64(after)/1024, growth, verdict)
	fmt.Print(report)
	t.Logf("created %d Secrets in %s\n%s", n, created.Round(time.Second), report)
	if growth >= 10 {
		t.Errorf("the operator's RSS grew by %.1f MiB with %d unrelated Secrets, over the 10 MiB budget", growth, n)
	}
}

func keyOf(as *v1alpha1.ApplicationServer) client.ObjectKey { return client.ObjectKeyFromObject(as) }
