//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/appserver-operator/appserver-operator/api/v1alpha1"
)

// loadMetric is the gauge the stand-in serves from its load file.
const loadMetric = "application_inflight_requests"

// metricValueList is the part of a custom.metrics.k8s.io list the test reads.
type metricValueList struct {
	Kind  string `json:"kind"`
	Items []struct {
		DescribedObject struct {
			Kind, Name string
		} `json:"describedObject"`
		Metric struct {
			Name string `json:"name"`
		} `json:"metric"`
		Value         resource.Quantity `json:"value"`
		WindowSeconds *int64            `json:"windowSeconds"`
	} `json:"items"`
}

func rawMetrics(ns, metric string) (*metricValueList, error) {
	out, err := kubectlErr("get", "--raw", "/apis/custom.metrics.k8s.io/v1beta2/namespaces/"+ns+"/pods/*/"+metric)
	if err != nil {
		return nil, fmt.Errorf("kubectl get --raw: %w: %s", err, out)
	}
	l := &metricValueList{}
	if err := json.Unmarshal([]byte(out), l); err != nil {
		return nil, fmt.Errorf("decoding %q: %w", out, err)
	}
	return l, nil
}

// TestAutoscalingOnMeteredMetrics runs the real HPA controller of
// kube-controller-manager against the operator's custom.metrics.k8s.io: the
// stand-in's pods report a load read from a file the test writes, the HPA
// scales the Deployment up on it, and back down when the load drops.
func TestAutoscalingOnMeteredMetrics(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t, "autoscale")
	loadFile := filepath.Join(t.TempDir(), "load")
	setLoad := func(v int) {
		t.Helper()
		if err := os.WriteFile(loadFile, []byte(strconv.Itoa(v)+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	setLoad(30)
	sd := startStandin(t, ns, "--load-file", loadFile)

	// The APIService's Service: its ClusterIP is on loopback in the e2e
	// cluster, and the operator (a local process) listens on it. The
	// aggregator proxies to the ClusterIP; it only needs an endpoint to
	// exist to call the Service available, so the Endpoints hold a
	// placeholder address (the API server refuses loopback ones there).
	port := freePort(t)
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "custom-metrics"},
		Spec:       corev1.ServiceSpec{Ports: []corev1.ServicePort{{Name: "https", Port: port, TargetPort: intstr.FromInt32(port)}}},
	}
	if err := k8s.Create(ctx, svc); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(svc.Spec.ClusterIP, "127.") {
		t.Fatalf("Service ClusterIP %s is not on loopback: the e2e cluster should have SERVICE_CIDR=127.96.0.0/16", svc.Spec.ClusterIP)
	}
	eps := &corev1.Endpoints{ //nolint:staticcheck // mirrored into an EndpointSlice by kube-controller-manager
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "custom-metrics"},
		Subsets: []corev1.EndpointSubset{{ //nolint:staticcheck // as above
			Addresses: []corev1.EndpointAddress{{IP: "10.244.0.254"}},
			Ports:     []corev1.EndpointPort{{Name: "https", Port: port}},
		}},
	}
	if err := k8s.Create(ctx, eps); err != nil {
		t.Fatal(err)
	}

	addr := fmt.Sprintf("%s:%d", svc.Spec.ClusterIP, port)
	op := startOperator(t, append(slices.Clone(meteringEnv), "WATCH_NAMESPACE="+ns), "--custom-metrics-bind-address", addr)
	_ = op
	// Registered after the operator starts, so removed before it stops: an
	// APIService whose server is gone makes discovery fail for every client
	// (and namespaces stuck in Terminating).
	applyAPIServices(t, ns, port)

	eventually(t, 2*time.Minute, "the custom metrics APIServices to be Available", func() error {
		for _, v := range []string{"v1beta2", "v1beta1"} {
			out, err := kubectlErr("get", "apiservice", v+".custom.metrics.k8s.io", "-o", `jsonpath={.status.conditions[?(@.type=="Available")].status}{" "}{.status.conditions[?(@.type=="Available")].message}`)
			if err != nil || !strings.HasPrefix(out, "True") {
				return fmt.Errorf("%s: %s %w", v, out, err)
			}
		}
		return nil
	})

	as := loopbackAppServer(ns, "web", 1, sd.port, "")
	as.Spec.HorizontalPodAutoscaler = &v1alpha1.HorizontalPodAutoscalerSpec{
		Enabled: true, MinReplicas: ptr.To[int32](1), MaxReplicas: ptr.To[int32](4),
		PodMetrics: []v1alpha1.PodMetric{{Name: loadMetric, AverageValue: resource.MustParse("10")}},
		// Short windows so that the test sees both directions: scale up
		// at once, down after 10s of lower load.
		Behavior: &autoscalingv2.HorizontalPodAutoscalerBehavior{
			ScaleUp: &autoscalingv2.HPAScalingRules{StabilizationWindowSeconds: ptr.To[int32](0)},
			ScaleDown: &autoscalingv2.HPAScalingRules{
				StabilizationWindowSeconds: ptr.To[int32](10),
				Policies:                   []autoscalingv2.HPAScalingPolicy{{Type: autoscalingv2.PercentScalingPolicy, Value: 100, PeriodSeconds: 5}},
			},
		},
	}
	if err := k8s.Create(ctx, as); err != nil {
		t.Fatal(err)
	}

	t.Run("kubectl get --raw returns each pod's metered value", func(t *testing.T) {
		eventually(t, 2*time.Minute, "the load of web's pod on custom.metrics.k8s.io", func() error {
			l, err := rawMetrics(ns, loadMetric)
			if err != nil {
				return err
			}
			if len(l.Items) == 0 {
				return errors.New("no items yet")
			}
			for _, it := range l.Items {
				if it.DescribedObject.Kind != "Pod" || !strings.HasPrefix(it.DescribedObject.Name, "web-") || it.Metric.Name != loadMetric || it.Value.Cmp(resource.MustParse("30")) != 0 {
					return fmt.Errorf("item %+v, want a web pod with %s = 30", it, loadMetric)
				}
			}
			return nil
		})
		// A counter is served as a per-second rate over the last two scrapes.
		eventually(t, time.Minute, "the request rate of web's pods", func() error {
			l, err := rawMetrics(ns, "application_requests_per_second")
			if err != nil {
				return err
			}
			if len(l.Items) == 0 {
				return errors.New("no items yet")
			}
			for _, it := range l.Items {
				if it.Value.Sign() <= 0 || it.WindowSeconds == nil || *it.WindowSeconds <= 0 {
					return fmt.Errorf("item %+v, want a positive rate over a window", it)
				}
			}
			return nil
		})
		// v1beta1 is served as well.
		if out, err := kubectlErr("get", "--raw", "/apis/custom.metrics.k8s.io/v1beta1/namespaces/"+ns+"/pods/*/"+loadMetric); err != nil || !strings.Contains(out, `"MetricValueList"`) {
			t.Errorf("v1beta1: %v: %s", err, out)
		}
	})

	t.Run("an unknown metric is not found", func(t *testing.T) {
		out, err := kubectlErr("get", "--raw", "/apis/custom.metrics.k8s.io/v1beta2/namespaces/"+ns+"/pods/*/no_such_metric")
		if err == nil || !strings.Contains(out, "NotFound") {
			t.Errorf("GET an unknown metric: err %v, output %q; want NotFound", err, out)
		}
	})

	t.Run("a namespace without servers has an empty list", func(t *testing.T) {
		empty := newNamespace(t, "autoscale-empty")
		l, err := rawMetrics(empty, loadMetric)
		if err != nil {
			t.Fatal(err)
		}
		if l.Kind != "MetricValueList" || len(l.Items) != 0 {
			t.Errorf("got %+v, want an empty MetricValueList", l)
		}
	})

	key := client.ObjectKey{Namespace: ns, Name: "web"}
	t.Run("the HPA scales up on a load of 30 per pod against a target of 10", func(t *testing.T) {
		waitScale(t, key, 4, 4*time.Minute)
	})
	t.Run("the HPA scales back down when the load drops", func(t *testing.T) {
		setLoad(2)
		waitScale(t, key, 1, 4*time.Minute)
	})
}

// waitScale waits until the HPA wants replicas and the Deployment has them.
func waitScale(t *testing.T, key client.ObjectKey, replicas int32, timeout time.Duration) {
	t.Helper()
	last := ""
	eventually(t, timeout, fmt.Sprintf("%s to be scaled to %d replicas by its HPA", key, replicas), func() error {
		hpa := &autoscalingv2.HorizontalPodAutoscaler{}
		if err := k8s.Get(context.Background(), key, hpa); err != nil {
			return err
		}
		dep := &appsv1.Deployment{}
		if err := k8s.Get(context.Background(), key, dep); err != nil {
			return err
		}
		var metrics []string
		for _, m := range hpa.Status.CurrentMetrics {
			if m.Pods != nil {
				metrics = append(metrics, m.Pods.Metric.Name+"="+m.Pods.Current.AverageValue.String())
			}
		}
		state := fmt.Sprintf("HPA desired %d current %d metrics %v; Deployment replicas %d",
			hpa.Status.DesiredReplicas, hpa.Status.CurrentReplicas, metrics, ptr.Deref(dep.Spec.Replicas, 0))
		if state != last {
			t.Log(state)
			last = state
		}
		if hpa.Status.DesiredReplicas != replicas || ptr.Deref(dep.Spec.Replicas, 0) != replicas {
			return errors.New(state)
		}
		return nil
	})
}

// applyAPIServices registers the operator as custom.metrics.k8s.io v1beta2
// and v1beta1 behind Service ns/custom-metrics, and removes them at the end.
func applyAPIServices(t *testing.T, ns string, port int32) {
	t.Helper()
	var b strings.Builder
	for i, v := range []string{"v1beta2", "v1beta1"} {
		fmt.Fprintf(&b, `---
apiVersion: apiregistration.k8s.io/v1
kind: APIService
metadata:
  name: %s.custom.metrics.k8s.io
spec:
  group: custom.metrics.k8s.io
  version: %s
  service: {namespace: %s, name: custom-metrics, port: %d}
  insecureSkipTLSVerify: true
  groupPriorityMinimum: 100
  versionPriority: %d
`, v, v, ns, port, 200-100*i)
	}
	f := filepath.Join(t.TempDir(), "apiservices.yaml")
	if err := os.WriteFile(f, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	kubectl(t, "apply", "-f", f)
	t.Cleanup(func() {
		if out, err := kubectlErr("delete", "-f", f, "--ignore-not-found", "--wait=true"); err != nil {
			t.Errorf("removing the APIServices: %v: %s", err, out)
		}
	})
}

// freePort returns a free port on loopback.
func freePort(t *testing.T) int32 {
	t.Helper()
	_, p, _ := strings.Cut(freeAddr(t), ":")
	n, err := strconv.Atoi(p)
	if err != nil {
		t.Fatal(err)
	}
	return int32(n)
}
