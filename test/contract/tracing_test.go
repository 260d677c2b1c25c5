// Package contract holds tests of the contract between what the operator puts
// in a pod spec and the real software that reads it.
package contract

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"regexp"
	"sync"
	"testing"

	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/protobuf/proto"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/appserver-operator/appserver-operator/api/v1alpha1"
	"github.com/appserver-operator/appserver-operator/internal/resources"
)

// senderEnv marks the test binary run as the traced application.
const senderEnv = "APPSERVER_CONTRACT_SENDER"

// TestMain makes the test binary double as the "application": with
// senderEnv set it configures the OpenTelemetry Go SDK from the environment
// alone, sends one span and exits.
func TestMain(m *testing.M) {
	if os.Getenv(senderEnv) == "1" {
		if err := sendSpan(); err != nil {
			fmt.Fprintln(os.Stderr, "sender:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// sendSpan uses only what the SDK reads from OTEL_* variables: endpoint,
// protocol and headers (exporter), service name and resource attributes
// (resource), sampler and its argument (tracer provider).
func sendSpan() error {
	ctx := context.Background()
	exp, err := otlptracehttp.New(ctx)
	if err != nil {
		return err
	}
	res, err := resource.New(ctx, resource.WithFromEnv())
	if err != nil {
		return err
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp), sdktrace.WithResource(res))
	_, span := tp.Tracer("contract").Start(ctx, "GET /shop")
	span.End()
	return tp.Shutdown(ctx) // flushes before the process exits
}

// received is what the stand-in OTLP/HTTP receiver got.
type received struct {
	mu      sync.Mutex
	auth    []string
	request []*coltracepb.ExportTraceServiceRequest
}

func receiver(t *testing.T) (*httptest.Server, *received) {
	t.Helper()
	r := &received{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if req.URL.Path != "/v1/traces" || req.Header.Get("Content-Type") != "application/x-protobuf" {
			http.Error(w, "want POST /v1/traces as protobuf", http.StatusBadRequest)
			return
		}
		body, err := io.ReadAll(req.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		msg := &coltracepb.ExportTraceServiceRequest{}
		if err := proto.Unmarshal(body, msg); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		r.mu.Lock()
		r.auth = append(r.auth, req.Header.Get("Authorization"))
		r.request = append(r.request, msg)
		r.mu.Unlock()
		w.Header().Set("Content-Type", "application/x-protobuf")
		out, _ := proto.Marshal(&coltracepb.ExportTraceServiceResponse{})
		_, _ = w.Write(out)
	}))
	t.Cleanup(srv.Close)
	return srv, r
}

// podEnv resolves the server container's environment the way the kubelet
// does: downward-API fields from the pod, Secret keys from secrets, and
// $(VAR) references to variables defined earlier.
func podEnv(t *testing.T, c corev1.Container, pod metav1.ObjectMeta, secrets map[string]map[string]string) []string {
	t.Helper()
	ref := regexp.MustCompile(`\$\(([A-Za-z_][A-Za-z0-9_]*)\)`)
	vals := map[string]string{}
	var out []string
	for _, e := range c.Env {
		v := e.Value
		switch {
		case e.ValueFrom != nil && e.ValueFrom.FieldRef != nil:
			switch e.ValueFrom.FieldRef.FieldPath {
			case "metadata.name":
				v = pod.Name
			case "metadata.namespace":
				v = pod.Namespace
			default:
				t.Fatalf("%s: field %s not resolved by this test", e.Name, e.ValueFrom.FieldRef.FieldPath)
			}
		case e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil:
			s := e.ValueFrom.SecretKeyRef
			var ok bool
			if v, ok = secrets[s.Name][s.Key]; !ok {
				t.Fatalf("%s: Secret %s key %s not given", e.Name, s.Name, s.Key)
			}
		case e.ValueFrom != nil:
			t.Fatalf("%s: valueFrom %+v not resolved by this test", e.Name, e.ValueFrom)
		default:
			v = ref.ReplaceAllStringFunc(v, func(m string) string {
				if x, ok := vals[m[2:len(m)-1]]; ok {
					return x
				}
				return m
			})
		}
		vals[e.Name] = v
		out = append(out, e.Name+"="+v)
	}
	return out
}

// runSender runs the application with exactly env (plus PATH-free basics).
func runSender(t *testing.T, env []string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(env, senderEnv+"=1")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("sender: %v\n%s", err, out)
	}
}

func tracedServer(endpoint, sampler, arg string) *v1alpha1.ApplicationServer {
	return &v1alpha1.ApplicationServer{
		ObjectMeta: metav1.ObjectMeta{Name: "shop", Namespace: "web"},
		Spec: v1alpha1.ApplicationServerSpec{
			Deployment: v1alpha1.DeploymentSpec{Image: "example.com/shop:1"},
			Server: v1alpha1.ServerSpec{Tracing: &v1alpha1.TracingSpec{OTLP: &v1alpha1.TracingOTLPSpec{
				Endpoint: endpoint, Protocol: "http/protobuf", Sampler: sampler, SamplerArg: arg,
				HeadersSecret:      &v1alpha1.SecretKey{Name: "otlp-auth", Key: "headers"},
				ResourceAttributes: map[string]string{"deployment.environment": "prod"},
			}}},
		},
	}
}

// TestOTLPEnvironmentContract: the OTEL_* variables the operator sets make
// the OpenTelemetry Go SDK send a span where asked, with the service name,
// the pod's resource attributes, the auth header from the Secret, and the
// sampler honoured.
func TestOTLPEnvironmentContract(t *testing.T) {
	secrets := map[string]map[string]string{"otlp-auth": {"headers": "authorization=Bearer s3cret"}}
	pod := metav1.ObjectMeta{Name: "shop-7d9f8-abcde", Namespace: "web"}

	t.Run("sampled", func(t *testing.T) {
		srv, got := receiver(t)
		dep := resources.Deployment(tracedServer(srv.URL, "parentbased_traceidratio", "1.0"), resources.Options{})
		runSender(t, podEnv(t, dep.Spec.Template.Spec.Containers[0], pod, secrets))

		got.mu.Lock()
		defer got.mu.Unlock()
		if len(got.request) != 1 {
			t.Fatalf("receiver got %d export requests, want 1", len(got.request))
		}
		if got.auth[0] != "Bearer s3cret" {
			t.Errorf("Authorization = %q, want the header from the Secret", got.auth[0])
		}
		rs := got.request[0].GetResourceSpans()
		if len(rs) != 1 || len(rs[0].GetScopeSpans()) != 1 || len(rs[0].GetScopeSpans()[0].GetSpans()) != 1 {
			t.Fatalf("want one span, got %v", rs)
		}
		if name := rs[0].GetScopeSpans()[0].GetSpans()[0].GetName(); name != "GET /shop" {
			t.Errorf("span name = %q", name)
		}
		attrs := map[string]string{}
		for _, kv := range rs[0].GetResource().GetAttributes() {
			attrs[kv.GetKey()] = kv.GetValue().GetStringValue()
		}
		for k, want := range map[string]string{
			"service.name":           "shop", // the CR name: serviceName unset
			"k8s.pod.name":           pod.Name,
			"k8s.namespace.name":     pod.Namespace,
			"deployment.environment": "prod",
		} {
			if attrs[k] != want {
				t.Errorf("resource attribute %s = %q, want %q (all: %v)", k, attrs[k], want, attrs)
			}
		}
	})

	// A ratio of 0 samples nothing: the sampler variables reached the SDK.
	// The sender has exited after a flushing shutdown, so nothing can come
	// later.
	t.Run("not sampled", func(t *testing.T) {
		srv, got := receiver(t)
		dep := resources.Deployment(tracedServer(srv.URL, "traceidratio", "0"), resources.Options{})
		runSender(t, podEnv(t, dep.Spec.Template.Spec.Containers[0], pod, secrets))
		got.mu.Lock()
		defer got.mu.Unlock()
		for _, r := range got.request {
			if n := len(r.GetResourceSpans()); n != 0 {
				t.Fatalf("receiver got %d resource spans with sampler traceidratio 0, want none", n)
			}
		}
	})
}
