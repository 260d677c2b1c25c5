//go:build integration

package controller_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/appserver-operator/appserver-operator/api/v1alpha1"
)

// A fileMounts ConfigMap or Secret, or its key, that does not exist:
// Degraded naming the field, the object and the key, one Warning event;
// cleared when it appears.
func TestMissingFileMountShowsAsDegraded(t *testing.T) {
	ns := newNamespace(t)
	as := sample(t, "appserver_v1alpha1_applicationserver_simple.yaml", ns)
	as.Spec.Server.FileMounts = &v1alpha1.FileMountsSpec{
		ConfigMaps: []v1alpha1.FileMount{{Name: "app-config", Key: "server.xml", Path: "/opt/app/server.xml"}},
		Secrets:    []v1alpha1.FileMount{{Name: "app-keystore", Key: "ks.p12", Path: "/opt/app/ks.p12"}},
	}
	create(t, as)
	waitStatus(t, as, "Degraded naming the ConfigMap", func(as *v1alpha1.ApplicationServer) error {
		if err := wantCondition(as, v1alpha1.ConditionDegraded, metav1.ConditionTrue, v1alpha1.ReasonReferenceNotFound); err != nil {
			return err
		}
		if msg := condition(as, v1alpha1.ConditionDegraded).Message; !strings.Contains(msg, `spec.server.fileMounts.configMaps[0]: ConfigMap "app-config" not found`) {
			return fmt.Errorf("message %q does not name the field and the ConfigMap", msg)
		}
		return nil
	})
	waitWarningEvent(t, as, v1alpha1.ReasonReferenceNotFound, "app-config")

	// The ConfigMap appears (the metadata watch wakes the server): now the
	// Secret is named.
	create(t, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "app-config", Namespace: ns}, Data: map[string]string{"server.xml": "<server/>"}})
	waitStatus(t, as, "Degraded naming the Secret", func(as *v1alpha1.ApplicationServer) error {
		if msg := condition(as, v1alpha1.ConditionDegraded).Message; !strings.Contains(msg, `spec.server.fileMounts.secrets[0]: Secret "app-keystore" not found`) {
			return fmt.Errorf("message %q does not name the field and the Secret", msg)
		}
		return nil
	})
	// The Secret appears without the key: the key is named.
	secret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "app-keystore", Namespace: ns}, Data: map[string][]byte{"other.p12": []byte("x")}}
	create(t, secret)
	waitStatus(t, as, "Degraded naming the key", func(as *v1alpha1.ApplicationServer) error {
		if msg := condition(as, v1alpha1.ConditionDegraded).Message; !strings.Contains(msg, `spec.server.fileMounts.secrets[0]: Secret "app-keystore" has no key "ks.p12"`) {
			return fmt.Errorf("message %q does not name the field, the Secret and the key", msg)
		}
		return nil
	})
	secret.Data["ks.p12"] = []byte("x")
	if err := k8s.Update(context.Background(), secret); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, as, "Degraded to clear", func(as *v1alpha1.ApplicationServer) error {
		return wantCondition(as, v1alpha1.ConditionDegraded, metav1.ConditionFalse, v1alpha1.ReasonAsExpected)
	})
}

// The same without restartOnConfigChange: the server must still hear of
// the object's creation.
func TestMissingFileMountClearsWithoutRestartOnConfigChange(t *testing.T) {
	ns := newNamespace(t)
	as := sample(t, "appserver_v1alpha1_applicationserver_simple.yaml", ns)
	as.Spec.Deployment.RestartOnConfigChange = new(bool)
	as.Spec.Server.FileMounts = &v1alpha1.FileMountsSpec{
		Secrets: []v1alpha1.FileMount{{Name: "tls", Key: "tls.crt", Path: "/etc/tls/tls.crt"}},
	}
	create(t, as)
	waitStatus(t, as, "Degraded naming the Secret", func(as *v1alpha1.ApplicationServer) error {
		return wantCondition(as, v1alpha1.ConditionDegraded, metav1.ConditionTrue, v1alpha1.ReasonReferenceNotFound)
	})
	create(t, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "tls", Namespace: ns}, Data: map[string][]byte{"tls.crt": []byte("x")}})
	waitStatus(t, as, "Degraded to clear", func(as *v1alpha1.ApplicationServer) error {
		return wantCondition(as, v1alpha1.ConditionDegraded, metav1.ConditionFalse, v1alpha1.ReasonAsExpected)
	})
}

// envtest serves neither monitoring.coreos.com nor route.openshift.io: the
// server says why nothing was made, is not Degraded, and loses the
// condition when it no longer asks.
func TestMissingAPIsAreReportedNotDegraded(t *testing.T) {
	ns := newNamespace(t)
	as := sample(t, "appserver_v1alpha1_applicationserver_simple.yaml", ns)
	as.Spec.Server.Metering = &v1alpha1.MeteringSpec{ServiceMonitor: &v1alpha1.ServiceMonitorSpec{Enabled: true}}
	as.Spec.Route = &v1alpha1.RouteSpec{Enabled: true, Host: "web.apps.example.com"}
	create(t, as)
	waitStatus(t, as, "MissingAPI naming both", func(as *v1alpha1.ApplicationServer) error {
		if err := wantCondition(as, v1alpha1.ConditionMissingAPI, metav1.ConditionTrue, v1alpha1.ReasonAPINotServed); err != nil {
			return err
		}
		msg := condition(as, v1alpha1.ConditionMissingAPI).Message
		for _, w := range []string{"spec.server.metering.serviceMonitor: no ServiceMonitor was made: the cluster does not serve monitoring.coreos.com/v1",
			"spec.route: no Route was made: the cluster does not serve route.openshift.io/v1"} {
			if !strings.Contains(msg, w) {
				return fmt.Errorf("message %q lacks %q", msg, w)
			}
		}
		if as.Status.ObservedGeneration != as.Generation {
			return errors.New("not reconciled successfully")
		}
		return wantCondition(as, v1alpha1.ConditionDegraded, metav1.ConditionFalse, v1alpha1.ReasonAsExpected)
	})
	update(t, as, func(as *v1alpha1.ApplicationServer) { as.Spec.Route = nil; as.Spec.Server.Metering = nil })
	waitStatus(t, as, "MissingAPI to go", func(as *v1alpha1.ApplicationServer) error {
		if c := meta.FindStatusCondition(as.Status.Conditions, v1alpha1.ConditionMissingAPI); c != nil {
			return fmt.Errorf("still %+v", c)
		}
		return nil
	})
}

// Admission of the new fields and of env names the operator sets.
func TestAdmissionOptionalAndReservedEnv(t *testing.T) {
	env := func(names ...string) []any {
		var out []any
		for _, n := range names {
			out = append(out, map[string]any{"name": n, "value": "x"})
		}
		return out
	}
	runAdmissionCases(t, []admissionCase{
		{"route and serviceMonitor", func(o map[string]any) {
			set(o, "spec.route", map[string]any{"enabled": true, "host": "web.apps.example.com", "path": "/shop", "port": "https",
				"tls": map[string]any{"termination": "reencrypt", "insecureEdgeTerminationPolicy": "Redirect"}})
			set(o, "spec.server.metering", map[string]any{"serviceMonitor": map[string]any{"enabled": true, "interval": "1m30s",
				"labels": map[string]any{"release": "prometheus"}}})
		}, nil},
		{"route host not a DNS name", func(o map[string]any) {
			set(o, "spec.route", map[string]any{"enabled": true, "host": "Web_Shop"})
		}, []string{"spec.route.host must be a DNS name"}},
		{"route path relative", func(o map[string]any) {
			set(o, "spec.route", map[string]any{"path": "shop"})
		}, []string{"spec.route.path must be an absolute path"}},
		{"route termination unknown", func(o map[string]any) {
			set(o, "spec.route", map[string]any{"tls": map[string]any{"termination": "reencrpyt"}})
		}, []string{"spec.route.tls.termination", "Unsupported value"}},
		{"route insecure policy unknown", func(o map[string]any) {
			set(o, "spec.route", map[string]any{"tls": map[string]any{"termination": "edge", "insecureEdgeTerminationPolicy": "redirect"}})
		}, []string{"spec.route.tls.insecureEdgeTerminationPolicy", "Unsupported value"}},
		{"route passthrough with a path", func(o map[string]any) {
			set(o, "spec.route", map[string]any{"path": "/shop", "tls": map[string]any{"termination": "passthrough"}})
		}, []string{"spec.route.path: a passthrough route cannot route by path"}},
		{"route passthrough Allow", func(o map[string]any) {
			set(o, "spec.route", map[string]any{"tls": map[string]any{"termination": "passthrough", "insecureEdgeTerminationPolicy": "Allow"}})
		}, []string{"spec.route.tls.insecureEdgeTerminationPolicy: Allow is not possible with passthrough"}},
		{"route port unknown", func(o map[string]any) {
			set(o, "spec.route", map[string]any{"enabled": true, "port": "admin"})
		}, []string{"spec.route.port must name one of spec.service.ports"}},
		{"serviceMonitor interval", func(o map[string]any) {
			set(o, "spec.server.metering", map[string]any{"serviceMonitor": map[string]any{"interval": "30 seconds"}})
		}, []string{"spec.server.metering.serviceMonitor.interval must be a Prometheus duration"}},
		{"serviceMonitor label key", func(o map[string]any) {
			set(o, "spec.server.metering", map[string]any{"serviceMonitor": map[string]any{"labels": map[string]any{"bad key": "x"}}})
		}, []string{"spec.server.metering.serviceMonitor.labels: every key must be a valid label key"}},

		// Reserved env names, only while the field that sets them is used.
		{"OTX_USE_JMX_AGENT without session replication", func(o map[string]any) {
			set(o, "spec.server.env", env("OTX_USE_JMX_AGENT", "KUBERNETES_LABELS"))
		}, nil},
		{"KUBERNETES_LABELS with session replication", func(o map[string]any) {
			set(o, "spec.server.env", env("APP_MODE", "KUBERNETES_LABELS"))
			set(o, "spec.server.sessionReplication", map[string]any{"enabled": true})
		}, []string{"spec.server.env: OTX_DATAGRID_TYPE", "KUBERNETES_LABELS", "are set by the operator while spec.server.sessionReplication is used"}},
		{"JAEGER_USER with jaeger", func(o map[string]any) {
			set(o, "spec.server.env", env("JAEGER_USER"))
			set(o, "spec.server.tracing", map[string]any{"jaeger": map[string]any{"serviceName": "shop"}})
		}, []string{"JAEGER_USER", "are set by the operator while spec.server.tracing.jaeger is used"}},
		{"K8S_POD_NAME with otlp", func(o map[string]any) {
			set(o, "spec.server.env", env("K8S_POD_NAME"))
			set(o, "spec.server.tracing", map[string]any{"otlp": map[string]any{"endpoint": "http://collector:4318"}})
		}, []string{"K8S_POD_NAME", "are set by the operator while spec.server.tracing.otlp is used"}},
		{"OTX_MEMORY_MONITOR with memoryMonitor", func(o map[string]any) {
			set(o, "spec.server.env", env("OTX_MEMORY_MONITOR"))
			set(o, "spec.server.performanceAnalyzer", map[string]any{"memoryMonitor": true})
		}, []string{"spec.server.env: OTX_FAULT_VERIFICATION_TIME", "OTX_MEMORY_MONITOR are set by the operator from spec.server.performanceAnalyzer"}},
		{"OTX_MEMORY_MONITOR with another analyzer field", func(o map[string]any) {
			set(o, "spec.server.env", env("OTX_MEMORY_MONITOR"))
			set(o, "spec.server.performanceAnalyzer", map[string]any{"slowDownMonitor": true})
		}, nil},
		{"TZ with timeZone: the user's TZ wins", func(o map[string]any) {
			set(o, "spec.server.env", env("TZ"))
			set(o, "spec.deployment.timeZone", "Asia/Tokyo")
		}, nil},
	})
}
