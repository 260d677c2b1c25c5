//go:build integration

package controller_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	"github.com/appserver-operator/appserver-operator/api/v1alpha1"
	"github.com/appserver-operator/appserver-operator/internal/controller"
	"github.com/appserver-operator/appserver-operator/internal/resources"
)

// The admission property (issue 13): no ApplicationServer the API server
// admits may yield a child the API server rejects. Such a server would be
// accepted by kubectl apply and then sit Degraded/ApplyFailed; every value
// that reaches a child must be checked at admission instead, with the field
// named.
//
// The CI form tries propertyDefaultCount random servers from a fixed seed,
// after the seed corpus (testdata/admission-corpus: the counterexamples
// found so far, each now rejected at admission). A long run:
//
//	ADMISSION_PROPERTY_DURATION=10m ADMISSION_PROPERTY_SEED=random \
//	  make test-integration GOTESTFLAGS='-run TestAdmissionProperty -v -timeout 20m'
//
// ADMISSION_PROPERTY_OUT=<dir> writes each counterexample found there as
// YAML, ready to be moved into the corpus.
const (
	propertyDefaultSeed  = 13
	propertyDefaultCount = 1200
	corpusDir            = "testdata/admission-corpus"
)

// propertyOptions are the builders' options: every optional child and
// container the operator can add is on (the wait-for init container needs
// the operator image, the log shipper its image).
var propertyOptions = resources.Options{
	OperatorImage:     testOperatorImage,
	LogShipperImage:   "example.com/appserver-log-shipper:test",
	OperatorNamespace: "appserver-system",
	DependencyPorts:   map[string]int32{"web": 8080, "a": 1},
}

// failsOnlyAtApply are what the API server rejects for reasons admission of
// an ApplicationServer cannot know: the cluster's node port range and the
// ports other Services hold. Such a server becomes Degraded with the API
// server's message (TestApplyFailureBacksOff).
var failsOnlyAtApply = []string{
	"provided port is not in the valid range",
	"provided port is already allocated",
	// A nodePort outside the range makes a dry-run create of a
	// LoadBalancer Service with externalTrafficPolicy Local allocate
	// healthCheckNodePort past it (65536 after 65535): the same cause,
	// reported on another field.
	"spec.healthCheckNodePort: Invalid value: 65536",
}

type propertyStats struct {
	tried, admitted, children int
	// found holds one counterexample per distinct error.
	found map[string]counterexample
}

type counterexample struct {
	server *v1alpha1.ApplicationServer
	child  string
	err    error
}

func TestAdmissionProperty(t *testing.T) {
	ns := newNamespace(t)
	ctx := context.Background()
	st := &propertyStats{found: map[string]counterexample{}}

	t.Run("corpus", func(t *testing.T) {
		files, err := filepath.Glob(filepath.Join(corpusDir, "*.yaml"))
		if err != nil || len(files) == 0 {
			t.Fatalf("the seed corpus %s is empty: %v", corpusDir, err)
		}
		for _, f := range files {
			raw, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			as := &v1alpha1.ApplicationServer{}
			if err := yaml.UnmarshalStrict(raw, as); err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			as.Namespace = ns
			// The corpus holds valid servers too ("-valid-" in the file
			// name), so that a rule that rejects too much fails here.
			if strings.Contains(f, "-valid-") {
				if err := k8s.Create(ctx, as.DeepCopy(), client.DryRunAll); err != nil {
					t.Errorf("%s: a valid server was rejected: %v", filepath.Base(f), err)
				}
			}
			if ce := checkServer(ctx, as, st); ce != nil {
				t.Errorf("%s: admitted, but %s is rejected: %v", filepath.Base(f), ce.child, ce.err)
			}
		}
		t.Logf("corpus: %d servers, %d admitted (each admitted one's children applied)", len(files), st.admitted)
	})

	seed, duration, count := propertyRun(t)
	g := gen{r: rand.New(rand.NewPCG(seed, 0))}
	before := *st
	start := time.Now()
	for i := 0; ; i++ {
		if duration > 0 && time.Since(start) >= duration || duration == 0 && i >= count {
			break
		}
		as := g.applicationServer(ns)
		if ce := checkServer(ctx, as, st); ce != nil {
			key := errorKey(ce.err)
			if _, seen := st.found[key]; !seen {
				st.found[key] = *ce
			}
		}
	}
	t.Logf("seed %d: %d servers tried in %s, %d admitted, %d children dry-run applied, %d distinct counterexamples",
		seed, st.tried-before.tried, time.Since(start).Round(time.Second), st.admitted-before.admitted,
		st.children-before.children, len(st.found))
	reportCounterexamples(t, st.found)
}

// propertyRun reads the run's seed and length from the environment.
func propertyRun(t *testing.T) (seed uint64, duration time.Duration, count int) {
	seed, count = propertyDefaultSeed, propertyDefaultCount
	switch s := os.Getenv("ADMISSION_PROPERTY_SEED"); s {
	case "":
	case "random":
		seed = rand.Uint64()
	default:
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("ADMISSION_PROPERTY_SEED=%q: want a number or random", s)
		}
		seed = v
	}
	if s := os.Getenv("ADMISSION_PROPERTY_DURATION"); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil || d <= 0 {
			t.Fatalf("ADMISSION_PROPERTY_DURATION=%q: want a positive duration such as 10m", s)
		}
		duration = d
	}
	return seed, duration, count
}

// checkServer dry-run creates as; when the API server admits it, it builds
// every child from the defaulted object and dry-run applies each. It
// returns the first child rejected, if any.
func checkServer(ctx context.Context, as *v1alpha1.ApplicationServer, st *propertyStats) *counterexample {
	st.tried++
	orig := as.DeepCopy()
	if err := k8s.Create(ctx, as, client.DryRunAll); err != nil {
		return nil // rejected at admission: what we want for a bad value
	}
	st.admitted++
	intents, err := controller.DesiredIntents(as, propertyOptions)
	if err != nil {
		return &counterexample{server: orig, child: "(builders)", err: err}
	}
	for _, u := range intents {
		st.children++
		err := k8s.Apply(ctx, client.ApplyConfigurationFromUnstructured(u),
			client.FieldOwner(controller.FieldOwner), client.ForceOwnership, client.DryRunAll)
		if err == nil || onlyAtApply(err) {
			continue
		}
		return &counterexample{server: orig, child: u.GetKind() + " " + u.GetName(), err: err}
	}
	return nil
}

func onlyAtApply(err error) bool {
	for _, s := range failsOnlyAtApply {
		if strings.Contains(err.Error(), s) {
			return true
		}
	}
	return false
}

// errorKey groups counterexamples by the fields and reasons the API server
// named, without the values: one of each is reported.
var listIndex = regexp.MustCompile(`\[\d+\]`)

func errorKey(err error) string {
	var se *apierrors.StatusError
	if !errors.As(err, &se) || se.ErrStatus.Details == nil {
		return err.Error()
	}
	var keys []string
	for _, c := range se.ErrStatus.Details.Causes {
		field := listIndex.ReplaceAllString(c.Field, "[]")
		keys = append(keys, field+" "+string(c.Type))
	}
	sort.Strings(keys)
	return strings.Join(keys, "; ")
}

func reportCounterexamples(t *testing.T, found map[string]counterexample) {
	t.Helper()
	out := os.Getenv("ADMISSION_PROPERTY_OUT")
	keys := make([]string, 0, len(found))
	for k := range found {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for i, k := range keys {
		ce := found[k]
		ce.server.Namespace = ""
		raw, err := yaml.Marshal(serverYAML(ce.server))
		if err != nil {
			t.Fatal(err)
		}
		t.Errorf("counterexample %d: admitted, but %s is rejected: %v\n%s", i+1, ce.child, ce.err, raw)
		if out != "" {
			if err := os.MkdirAll(out, 0o750); err != nil {
				t.Fatal(err)
			}
			f := filepath.Join(out, fmt.Sprintf("found-%02d.yaml", i+1))
			if err := os.WriteFile(f, append([]byte("# "+firstLine(ce.err.Error())+"\n"), raw...), 0o600); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// serverYAML is the object without status and empty fields.
func serverYAML(as *v1alpha1.ApplicationServer) map[string]any {
	m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(as)
	if err != nil {
		panic(err)
	}
	delete(m, "status")
	unstructured.RemoveNestedField(m, "metadata", "creationTimestamp")
	return m
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}
