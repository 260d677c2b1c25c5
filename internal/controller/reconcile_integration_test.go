//go:build integration

package controller_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv1 "k8s.io/api/autoscaling/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/metrics"

	"github.com/appserver-operator/appserver-operator/api/v1alpha1"
	"github.com/appserver-operator/appserver-operator/internal/resources"
	"github.com/appserver-operator/appserver-operator/internal/testutil"
)

const wait = 20 * time.Second

func sample(t *testing.T, file, ns string) *v1alpha1.ApplicationServer {
	t.Helper()
	u := readYAML(t, "../../config/samples/"+file)
	as := &v1alpha1.ApplicationServer{}
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, as); err != nil {
		t.Fatal(err)
	}
	as.Namespace = ns
	return as
}

// withoutNodePorts lets several tests use the advanced sample at once: node
// ports are unique in the cluster.
func withoutNodePorts(as *v1alpha1.ApplicationServer) *v1alpha1.ApplicationServer {
	for i := range as.Spec.Service.Ports {
		as.Spec.Service.Ports[i].NodePort = nil
	}
	return as
}

func create(t *testing.T, obj client.Object) {
	t.Helper()
	if err := k8s.Create(context.Background(), obj); err != nil {
		t.Fatalf("creating %T %s: %v", obj, obj.GetName(), err)
	}
}

// get reads an object by the key of as (children share its name).
func get[T client.Object](t *testing.T, as *v1alpha1.ApplicationServer, obj T) T {
	t.Helper()
	eventually(t, wait, fmt.Sprintf("%T %s to exist", obj, as.Name), func() error {
		return k8s.Get(context.Background(), client.ObjectKeyFromObject(as), obj)
	})
	return obj
}

func gone(t *testing.T, as *v1alpha1.ApplicationServer, obj client.Object) {
	t.Helper()
	eventually(t, wait, fmt.Sprintf("%T %s to be deleted", obj, as.Name), func() error {
		err := k8s.Get(context.Background(), client.ObjectKeyFromObject(as), obj)
		if apierrors.IsNotFound(err) {
			return nil
		}
		return fmt.Errorf("still there (err=%w)", err)
	})
}

// update re-reads as, applies change and writes it, retrying on conflicts.
func update(t *testing.T, as *v1alpha1.ApplicationServer, change func(*v1alpha1.ApplicationServer)) {
	t.Helper()
	eventually(t, wait, "updating "+as.Name, func() error {
		if err := k8s.Get(context.Background(), client.ObjectKeyFromObject(as), as); err != nil {
			return err
		}
		change(as)
		return k8s.Update(context.Background(), as)
	})
}

func expect(t *testing.T, field string, got, want any) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s: got %#v, want %#v", field, got, want)
	}
}

func isController(t *testing.T, obj client.Object, as *v1alpha1.ApplicationServer) {
	t.Helper()
	ref := metav1.GetControllerOf(obj)
	if ref == nil || ref.UID != as.UID || ref.Kind != "ApplicationServer" || !ptr.Deref(ref.BlockOwnerDeletion, false) {
		t.Errorf("%T %s: controller reference is %+v, want the ApplicationServer %s", obj, obj.GetName(), ref, as.UID)
	}
}

func TestAdvancedSampleYieldsChildrenMatchingTheSpec(t *testing.T) {
	ns := newNamespace(t)
	as := sample(t, "appserver_v1alpha1_applicationserver_advanced.yaml", ns)
	create(t, as)
	spec := as.Spec
	d := spec.Deployment

	dep := get(t, as, &appsv1.Deployment{})
	isController(t, dep, as)
	for k, v := range spec.Common.Labels {
		expect(t, "deployment label "+k, dep.Labels[k], string(v))
		expect(t, "pod label "+k, dep.Spec.Template.Labels[k], string(v))
	}
	expect(t, "managed-by label", dep.Labels[v1alpha1.LabelManagedBy], v1alpha1.ManagedByValue)
	expect(t, "selector", dep.Spec.Selector.MatchLabels, map[string]string{v1alpha1.LabelName: v1alpha1.NameValue, v1alpha1.LabelInstance: as.Name})
	for k, v := range spec.Common.Annotations {
		expect(t, "deployment annotation "+k, dep.Annotations[k], v)
		expect(t, "pod annotation "+k, dep.Spec.Template.Annotations[k], v)
	}
	for k, v := range d.Annotations {
		expect(t, "pod annotation "+k, dep.Spec.Template.Annotations[k], v)
	}
	expect(t, "strategy", dep.Spec.Strategy, *d.Strategy)
	expect(t, "progressDeadlineSeconds", dep.Spec.ProgressDeadlineSeconds, d.ProgressDeadlineSeconds)
	pod := dep.Spec.Template.Spec
	expect(t, "serviceAccountName", pod.ServiceAccountName, d.ServiceAccountName)
	expect(t, "automountServiceAccountToken", pod.AutomountServiceAccountToken, d.AutomountServiceAccountToken)
	expect(t, "imagePullSecrets", pod.ImagePullSecrets, d.ImagePullSecrets)
	expect(t, "hostname", pod.Hostname, d.Hostname)
	expect(t, "subdomain", pod.Subdomain, d.Subdomain)
	expect(t, "dnsPolicy", pod.DNSPolicy, d.DNS.DNSPolicy)
	expect(t, "dnsConfig", pod.DNSConfig, d.DNS.DNSConfig)
	expect(t, "hostAliases", pod.HostAliases, d.HostAliases)
	expect(t, "nodeSelector", pod.NodeSelector, d.NodeSelector)
	expect(t, "tolerations", pod.Tolerations, d.Tolerations)
	expect(t, "affinity", pod.Affinity, d.Affinity)
	expect(t, "terminationGracePeriodSeconds", pod.TerminationGracePeriodSeconds, d.TerminationGracePeriodSeconds)
	expect(t, "pod securityContext", pod.SecurityContext, d.SecurityContext.Pod)
	if len(pod.TopologySpreadConstraints) != 1 || pod.TopologySpreadConstraints[0].LabelSelector == nil ||
		pod.TopologySpreadConstraints[0].LabelSelector.MatchLabels[v1alpha1.LabelInstance] != as.Name {
		t.Errorf("topologySpreadConstraints: %+v, want the sample's with this server's selector", pod.TopologySpreadConstraints)
	}
	if len(pod.Containers) != 1 {
		t.Fatalf("containers: %d", len(pod.Containers))
	}
	c := pod.Containers[0]
	expect(t, "container name", c.Name, "server")
	expect(t, "image", c.Image, d.Image)
	expect(t, "imagePullPolicy", c.ImagePullPolicy, d.ImagePullPolicy)
	expect(t, "resources", c.Resources, *d.Resources.Server)
	expect(t, "readinessProbe", c.ReadinessProbe.HTTPGet.Path, d.ReadinessProbe.Server.HTTPGet.Path)
	expect(t, "readinessProbe period", c.ReadinessProbe.PeriodSeconds, d.ReadinessProbe.Server.PeriodSeconds)
	expect(t, "livenessProbe delay", c.LivenessProbe.InitialDelaySeconds, d.LivenessProbe.Server.InitialDelaySeconds)
	expect(t, "startupProbe from healthCheck", c.StartupProbe.HTTPGet.Path, "/health/live") // the liveness path by default
	expect(t, "startupProbe port", c.StartupProbe.HTTPGet.Port, intstr.FromInt32(spec.Server.HealthCheck.Port))
	expect(t, "container securityContext", c.SecurityContext, spec.Deployment.SecurityContext.Server)
	expect(t, "container ports", c.Ports, []corev1.ContainerPort{
		{Name: "http", ContainerPort: 8080, Protocol: corev1.ProtocolTCP},
		{Name: "https", ContainerPort: 8443, Protocol: corev1.ProtocolTCP},
		{Name: "jgroups", ContainerPort: 7800, Protocol: corev1.ProtocolTCP}, // sessionReplication
		{Name: "jmx", ContainerPort: 9999, Protocol: corev1.ProtocolTCP},     // deployment.ports
	})
	// Issue 11: wait-for first, then the sidecar, then the init container;
	// the drain sleep; the config hash and the restart version.
	var inits []string
	for _, ic := range pod.InitContainers {
		inits = append(inits, ic.Name)
	}
	expect(t, "init containers", inits, []string{"wait-for", "metrics-proxy", "migrate-schema", "log-shipper"})
	expect(t, "sidecar restartPolicy", pod.InitContainers[1].RestartPolicy, ptr.To(corev1.ContainerRestartPolicyAlways))
	expect(t, "preStop sleep", c.Lifecycle.PreStop.Sleep.Seconds, int64(*d.Shutdown.DrainSeconds))
	expect(t, "restart version", dep.Spec.Template.Annotations["appserver.dev/restart-version"], spec.RestartVersion)
	if dep.Spec.Template.Annotations["appserver.dev/config-hash"] == "" {
		t.Error("no config-hash annotation although the pods reference ConfigMaps and Secrets")
	}
	env := map[string]corev1.EnvVar{}
	for _, e := range c.Env {
		env[e.Name] = e
	}
	expect(t, "env JAVA_OPTS", env["JAVA_OPTS"].Value, spec.Server.Env[0].Value)
	expect(t, "env POD_NAME", env["POD_NAME"].ValueFrom.FieldRef.FieldPath, "metadata.name")
	expect(t, "env TZ from timeZone", env["TZ"].Value, d.TimeZone)
	expect(t, "env OTX_SLOW_DOWN_MONITOR", env["OTX_SLOW_DOWN_MONITOR"].Value, "true")
	expect(t, "env OTX_DATAGRID_TYPE", env["OTX_DATAGRID_TYPE"].Value, "infinispan")
	expect(t, "env JAEGER_SAMPLER_TYPE", env["JAEGER_SAMPLER_TYPE"].Value, spec.Server.Tracing.Jaeger.SamplerType)
	expect(t, "env OTEL_EXPORTER_OTLP_ENDPOINT", env["OTEL_EXPORTER_OTLP_ENDPOINT"].Value, spec.Server.Tracing.OTLP.Endpoint)
	mounts := map[string]string{}
	for _, m := range c.VolumeMounts {
		mounts[m.MountPath] = m.Name
	}
	expect(t, "file mount", mounts[spec.Server.FileMounts.ConfigMaps[0].Path], resources.VolumeFileMountConfigMapPrefix+"0")
	expect(t, "secret file mount", mounts[spec.Server.FileMounts.Secrets[0].Path], resources.VolumeFileMountSecretPrefix+"0")
	expect(t, "replacement mount", mounts["/opt/WebOTX/pv"], resources.VolumeReplacement)
	expect(t, "persistence mount", mounts[spec.Server.Persistence.MountPath], resources.VolumePersistence)
	// fileMounts (2), replacement, persistence, the user's volumes (2), the
	// log shipper's config, offsets and one log directory.
	expect(t, "volumes", len(pod.Volumes), 9)
	expect(t, "envFrom", c.EnvFrom, []corev1.EnvFromSource{
		{ConfigMapRef: &corev1.ConfigMapEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: spec.Server.EnvFrom.ConfigMaps[0]}}},
		{SecretRef: &corev1.SecretEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: spec.Server.EnvFrom.Secrets[0]}}},
	})

	svc := get(t, as, &corev1.Service{})
	isController(t, svc, as)
	s := spec.Service
	expect(t, "service type", svc.Spec.Type, s.Type)
	expect(t, "service selector", svc.Spec.Selector, dep.Spec.Selector.MatchLabels)
	expect(t, "sessionAffinity", svc.Spec.SessionAffinity, s.SessionAffinity)
	expect(t, "sessionAffinityConfig", svc.Spec.SessionAffinityConfig, s.SessionAffinityConfig)
	expect(t, "externalTrafficPolicy", svc.Spec.ExternalTrafficPolicy, s.ExternalTrafficPolicy)
	expect(t, "externalIPs", svc.Spec.ExternalIPs, s.ExternalIPs)
	for k, v := range s.Annotations {
		expect(t, "service annotation "+k, svc.Annotations[k], v)
	}
	if len(svc.Spec.Ports) != len(s.Ports) {
		t.Fatalf("service ports: %+v", svc.Spec.Ports)
	}
	for i, p := range s.Ports {
		got := svc.Spec.Ports[i]
		expect(t, "port name", got.Name, p.Name)
		expect(t, "port", got.Port, p.Port)
		expect(t, "targetPort", got.TargetPort, *p.TargetPort)
		expect(t, "nodePort", got.NodePort, *p.NodePort)
		expect(t, "protocol", got.Protocol, p.Protocol)
	}

	hpa := get(t, as, &autoscalingv2.HorizontalPodAutoscaler{})
	isController(t, hpa, as)
	h := spec.HorizontalPodAutoscaler
	expect(t, "hpa target", hpa.Spec.ScaleTargetRef, autoscalingv2.CrossVersionObjectReference{APIVersion: "apps/v1", Kind: "Deployment", Name: as.Name})
	expect(t, "hpa minReplicas", hpa.Spec.MinReplicas, h.MinReplicas)
	expect(t, "hpa maxReplicas", hpa.Spec.MaxReplicas, *h.MaxReplicas)
	expect(t, "hpa metrics", len(hpa.Spec.Metrics), 3)
	expect(t, "hpa cpu", *hpa.Spec.Metrics[0].Resource.Target.AverageUtilization, *h.ResourceMetrics.CPUAverageUtilization)
	expect(t, "hpa memory", hpa.Spec.Metrics[1].Resource.Target.AverageValue.Cmp(*h.ResourceMetrics.MemoryAverageValue), 0)
	expect(t, "hpa pods metric", hpa.Spec.Metrics[2].Pods.Metric.Name, h.PodMetrics[0].Name)
	expect(t, "hpa behavior", hpa.Spec.Behavior.ScaleDown.StabilizationWindowSeconds, h.Behavior.ScaleDown.StabilizationWindowSeconds)
	if dep.Spec.Replicas == nil || *dep.Spec.Replicas != 1 {
		// the operator leaves replicas to the HPA: the API server defaulted it
		t.Errorf("deployment replicas with HPA: %v, want the API default 1, not the spec's %d", dep.Spec.Replicas, *d.Replicas)
	}

	ing := get(t, as, &networkingv1.Ingress{})
	isController(t, ing, as)
	in := spec.Ingress
	expect(t, "ingress class", ing.Spec.IngressClassName, in.ClassName)
	expect(t, "ingress tls", ing.Spec.TLS, in.TLS)
	r := ing.Spec.Rules[0]
	expect(t, "ingress host", r.Host, in.Host)
	expect(t, "ingress path", r.HTTP.Paths[0].Path, in.Path)
	expect(t, "ingress pathType", *r.HTTP.Paths[0].PathType, in.PathType)
	expect(t, "ingress backend", *r.HTTP.Paths[0].Backend.Service, networkingv1.IngressServiceBackend{Name: as.Name, Port: networkingv1.ServiceBackendPort{Name: in.Port}})

	pdb := get(t, as, &policyv1.PodDisruptionBudget{})
	isController(t, pdb, as)
	expect(t, "pdb minAvailable", pdb.Spec.MinAvailable, spec.PodDisruptionBudget.MinAvailable)
	expect(t, "pdb selector", pdb.Spec.Selector.MatchLabels, dep.Spec.Selector.MatchLabels)
}

func TestSpecChangesUpdateChildren(t *testing.T) {
	ns := newNamespace(t)
	as := sample(t, "appserver_v1alpha1_applicationserver_simple.yaml", ns)
	create(t, as)
	get(t, as, &appsv1.Deployment{})

	update(t, as, func(as *v1alpha1.ApplicationServer) {
		as.Spec.Deployment.Image = "example.com/app:2"
		as.Spec.Deployment.Replicas = ptr.To[int32](3)
		as.Spec.Service.Ports[0].Port = 9080
		as.Spec.Service.Ports[0].TargetPort = ptr.To(intstr.FromInt32(9080))
		as.Spec.Common.Labels = map[string]v1alpha1.LabelValue{"tier": "web"}
		as.Spec.Deployment.ReadinessProbe = &v1alpha1.ContainerProbe{Server: &corev1.Probe{
			ProbeHandler:  corev1.ProbeHandler{TCPSocket: &corev1.TCPSocketAction{Port: intstr.FromInt32(9080)}},
			PeriodSeconds: 7,
		}}
	})
	eventually(t, wait, "the Deployment and Service to follow the spec", func() error {
		dep, svc := &appsv1.Deployment{}, &corev1.Service{}
		if err := k8s.Get(context.Background(), client.ObjectKeyFromObject(as), dep); err != nil {
			return err
		}
		if err := k8s.Get(context.Background(), client.ObjectKeyFromObject(as), svc); err != nil {
			return err
		}
		c := dep.Spec.Template.Spec.Containers[0]
		var errs []error
		check := func(what string, ok bool) {
			if !ok {
				errs = append(errs, errors.New(what))
			}
		}
		check("image", c.Image == "example.com/app:2")
		check("replicas", ptr.Deref(dep.Spec.Replicas, 0) == 3)
		check("container port", c.Ports[0].ContainerPort == 9080)
		check("service port", svc.Spec.Ports[0].Port == 9080 && svc.Spec.Ports[0].TargetPort.IntValue() == 9080)
		check("deployment label", dep.Labels["tier"] == "web" && dep.Spec.Template.Labels["tier"] == "web")
		check("service label", svc.Labels["tier"] == "web")
		check("probe", c.ReadinessProbe != nil && c.ReadinessProbe.TCPSocket != nil && c.ReadinessProbe.PeriodSeconds == 7)
		return errors.Join(errs...)
	})

	// Removing a field from the spec removes it from the child.
	update(t, as, func(as *v1alpha1.ApplicationServer) {
		as.Spec.Common.Labels = nil
		as.Spec.Deployment.ReadinessProbe = nil
	})
	eventually(t, wait, "removed label and probe to disappear", func() error {
		dep := &appsv1.Deployment{}
		if err := k8s.Get(context.Background(), client.ObjectKeyFromObject(as), dep); err != nil {
			return err
		}
		if _, ok := dep.Labels["tier"]; ok {
			return errors.New("label tier still on the Deployment")
		}
		if dep.Spec.Template.Spec.Containers[0].ReadinessProbe != nil {
			return errors.New("readiness probe still set")
		}
		return nil
	})
}

func TestDisablingOptionalChildrenDeletesThem(t *testing.T) {
	ns := newNamespace(t)
	as := withoutNodePorts(sample(t, "appserver_v1alpha1_applicationserver_advanced.yaml", ns))
	create(t, as)
	get(t, as, &autoscalingv2.HorizontalPodAutoscaler{})
	get(t, as, &networkingv1.Ingress{})
	get(t, as, &policyv1.PodDisruptionBudget{})

	update(t, as, func(as *v1alpha1.ApplicationServer) { as.Spec.HorizontalPodAutoscaler.Enabled = false })
	gone(t, as, &autoscalingv2.HorizontalPodAutoscaler{})
	eventually(t, wait, "the Deployment to take replicas from the spec again", func() error {
		dep := &appsv1.Deployment{}
		if err := k8s.Get(context.Background(), client.ObjectKeyFromObject(as), dep); err != nil {
			return err
		}
		if got := ptr.Deref(dep.Spec.Replicas, 0); got != 2 {
			return fmt.Errorf("replicas %d, want 2", got)
		}
		return nil
	})

	update(t, as, func(as *v1alpha1.ApplicationServer) { as.Spec.Ingress.Enabled = false })
	gone(t, as, &networkingv1.Ingress{})

	update(t, as, func(as *v1alpha1.ApplicationServer) { as.Spec.PodDisruptionBudget = nil })
	gone(t, as, &policyv1.PodDisruptionBudget{})

	// and back on
	update(t, as, func(as *v1alpha1.ApplicationServer) { as.Spec.Ingress.Enabled = true })
	get(t, as, &networkingv1.Ingress{})
}

func TestHandEditsAndDeletionsAreReverted(t *testing.T) {
	ns := newNamespace(t)
	as := sample(t, "appserver_v1alpha1_applicationserver_simple.yaml", ns)
	create(t, as)
	dep := get(t, as, &appsv1.Deployment{})

	dep.Spec.Template.Spec.Containers[0].Image = "evil.example.com/other:1"
	if err := k8s.Update(context.Background(), dep); err != nil {
		t.Fatal(err)
	}
	eventually(t, wait, "the hand-edited image to be reverted", func() error {
		if err := k8s.Get(context.Background(), client.ObjectKeyFromObject(as), dep); err != nil {
			return err
		}
		if img := dep.Spec.Template.Spec.Containers[0].Image; img != as.Spec.Deployment.Image {
			return fmt.Errorf("image %q", img)
		}
		return nil
	})

	svc := get(t, as, &corev1.Service{})
	oldUID := svc.UID
	if err := k8s.Delete(context.Background(), svc); err != nil {
		t.Fatal(err)
	}
	eventually(t, wait, "the deleted Service to be recreated", func() error {
		if err := k8s.Get(context.Background(), client.ObjectKeyFromObject(as), svc); err != nil {
			return err
		}
		if svc.UID == oldUID {
			return errors.New("still the old Service")
		}
		return nil
	})
}

func condition(as *v1alpha1.ApplicationServer, t string) metav1.Condition {
	if c := meta.FindStatusCondition(as.Status.Conditions, t); c != nil {
		return *c
	}
	return metav1.Condition{}
}

// waitStatus waits until check passes on the freshly read object.
func waitStatus(t *testing.T, as *v1alpha1.ApplicationServer, what string, check func(*v1alpha1.ApplicationServer) error) {
	t.Helper()
	eventually(t, wait, what, func() error {
		if err := k8s.Get(context.Background(), client.ObjectKeyFromObject(as), as); err != nil {
			return err
		}
		return check(as)
	})
}

func wantCondition(as *v1alpha1.ApplicationServer, typ string, status metav1.ConditionStatus, reason string) error {
	c := condition(as, typ)
	if c.Status != status || c.Reason != reason {
		return fmt.Errorf("%s is %s/%s (%s), want %s/%s", typ, c.Status, c.Reason, c.Message, status, reason)
	}
	return nil
}

func TestStatusFollowsTheDeployment(t *testing.T) {
	ns := newNamespace(t)
	as := sample(t, "appserver_v1alpha1_applicationserver_simple.yaml", ns)
	create(t, as)
	waitStatus(t, as, "the first status", func(as *v1alpha1.ApplicationServer) error {
		if as.Status.ObservedGeneration != as.Generation {
			return fmt.Errorf("observedGeneration %d, generation %d", as.Status.ObservedGeneration, as.Generation)
		}
		return errors.Join(
			wantCondition(as, v1alpha1.ConditionAvailable, metav1.ConditionFalse, v1alpha1.ReasonMinimumReplicasUnavailable),
			wantCondition(as, v1alpha1.ConditionProgressing, metav1.ConditionTrue, v1alpha1.ReasonRolloutInProgress),
			wantCondition(as, v1alpha1.ConditionDegraded, metav1.ConditionFalse, v1alpha1.ReasonAsExpected),
		)
	})
	expect(t, "status.selector", as.Status.Selector, "app.kubernetes.io/instance=appserver-simple,app.kubernetes.io/name=applicationserver")
	expect(t, "status.serviceName", as.Status.ServiceName, as.Name)
	expect(t, "status.image", as.Status.Image, as.Spec.Deployment.Image)
	expect(t, "status.ready", as.Status.Ready, "0/1")
	if as.Status.OperatorVersion == "" {
		t.Error("status.operatorVersion is empty")
	}

	// The deployment controller is not running in envtest: play its part.
	dep := get(t, as, &appsv1.Deployment{})
	now := metav1.Now()
	dep.Status = appsv1.DeploymentStatus{
		ObservedGeneration: dep.Generation, Replicas: 1, UpdatedReplicas: 1, ReadyReplicas: 1, AvailableReplicas: 1,
		Conditions: []appsv1.DeploymentCondition{
			{Type: appsv1.DeploymentAvailable, Status: corev1.ConditionTrue, Reason: "MinimumReplicasAvailable", LastUpdateTime: now, LastTransitionTime: now},
			{Type: appsv1.DeploymentProgressing, Status: corev1.ConditionTrue, Reason: "NewReplicaSetAvailable", LastUpdateTime: now, LastTransitionTime: now},
		},
	}
	if err := k8s.Status().Update(context.Background(), dep); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, as, "Available", func(as *v1alpha1.ApplicationServer) error {
		if as.Status.Ready != "1/1" || as.Status.AvailableReplicas != 1 || as.Status.ReadyReplicas != 1 {
			return fmt.Errorf("counts: %+v", as.Status)
		}
		return errors.Join(
			wantCondition(as, v1alpha1.ConditionAvailable, metav1.ConditionTrue, v1alpha1.ReasonMinimumReplicasAvailable),
			wantCondition(as, v1alpha1.ConditionProgressing, metav1.ConditionFalse, v1alpha1.ReasonRolloutComplete),
		)
	})

	// Pods cannot be created: Degraded with the Deployment's reason.
	dep = get(t, as, &appsv1.Deployment{})
	dep.Status.Conditions = append(dep.Status.Conditions, appsv1.DeploymentCondition{
		Type: appsv1.DeploymentReplicaFailure, Status: corev1.ConditionTrue, Reason: "FailedCreate",
		Message: `pods "x" is forbidden: error looking up service account missing`, LastUpdateTime: now, LastTransitionTime: now,
	})
	if err := k8s.Status().Update(context.Background(), dep); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, as, "Degraded", func(as *v1alpha1.ApplicationServer) error {
		if err := wantCondition(as, v1alpha1.ConditionDegraded, metav1.ConditionTrue, "FailedCreate"); err != nil {
			return err
		}
		if !strings.Contains(condition(as, v1alpha1.ConditionDegraded).Message, "service account") {
			return errors.New("message does not carry the Deployment's")
		}
		return nil
	})
}

func TestChildNotOwnedIsLeftAlone(t *testing.T) {
	ns := newNamespace(t)
	theirs := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "taken", Namespace: ns, Labels: map[string]string{"owner": "someone-else"}},
		Spec:       corev1.ServiceSpec{Ports: []corev1.ServicePort{{Name: "web", Port: 80}}, Selector: map[string]string{"app": "theirs"}},
	}
	create(t, theirs)
	as := &v1alpha1.ApplicationServer{
		ObjectMeta: metav1.ObjectMeta{Name: "taken", Namespace: ns},
		Spec:       v1alpha1.ApplicationServerSpec{Deployment: v1alpha1.DeploymentSpec{Image: "example.com/app:1"}},
	}
	create(t, as)
	waitStatus(t, as, "Degraded ChildNotOwned", func(as *v1alpha1.ApplicationServer) error {
		if err := wantCondition(as, v1alpha1.ConditionDegraded, metav1.ConditionTrue, v1alpha1.ReasonChildNotOwned); err != nil {
			return err
		}
		if !strings.Contains(condition(as, v1alpha1.ConditionDegraded).Message, "Service taken") {
			return errors.New("message does not name the Service")
		}
		return nil
	})
	get(t, as, &appsv1.Deployment{}) // the rest is still made

	svc := get(t, as, &corev1.Service{})
	if metav1.GetControllerOf(svc) != nil || svc.Spec.Ports[0].Port != 80 || svc.Spec.Selector["app"] != "theirs" || len(svc.ManagedFields) != 1 {
		t.Errorf("someone else's Service was touched: %+v", svc)
	}
	waitWarningEvent(t, as, "ChildNotOwned", "")
}

// waitWarningEvent waits for a Warning event about as with reason whose note
// contains note.
func waitWarningEvent(t *testing.T, as *v1alpha1.ApplicationServer, reason, note string) {
	t.Helper()
	eventually(t, wait, "a Warning event "+reason, func() error {
		list := &eventsv1.EventList{}
		if err := k8s.List(context.Background(), list, client.InNamespace(as.Namespace)); err != nil {
			return err
		}
		for _, e := range list.Items {
			if e.Reason == reason && e.Type == corev1.EventTypeWarning && e.Regarding.Name == as.Name && strings.Contains(e.Note, note) {
				return nil
			}
		}
		return fmt.Errorf("no %s event among %d", reason, len(list.Items))
	})
}

// counter reads a counter of the controller-runtime registry, summed over the
// series whose labels include all of match.
func counter(t *testing.T, name string, match map[string]string) float64 {
	t.Helper()
	families, err := metrics.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var sum float64
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			if hasLabels(m, match) {
				sum += m.GetCounter().GetValue()
			}
		}
	}
	return sum
}

func hasLabels(m *dto.Metric, match map[string]string) bool {
	found := 0
	for _, l := range m.GetLabel() {
		if v, ok := match[l.GetName()]; ok && v == l.GetValue() {
			found++
		}
	}
	return found == len(match)
}

func writes(t *testing.T) float64 {
	var sum float64
	for _, m := range []string{"POST", "PUT", "PATCH", "DELETE"} {
		sum += counter(t, "rest_client_requests_total", map[string]string{"method": m})
	}
	return sum
}

func TestNoWritesWhenNothingChanged(t *testing.T) {
	ns := newNamespace(t)
	as := withoutNodePorts(sample(t, "appserver_v1alpha1_applicationserver_advanced.yaml", ns))
	create(t, as)
	waitStatus(t, as, "the first status", func(as *v1alpha1.ApplicationServer) error {
		if as.Status.ObservedGeneration != as.Generation {
			return errors.New("not reconciled yet")
		}
		return nil
	})
	get(t, as, &policyv1.PodDisruptionBudget{})

	// Wake the reconciler without changing anything it owns: an unrelated
	// annotation on the Deployment. client-go counts requests per process, so
	// that one PUT of the test's own is subtracted below.
	reconciles := func() float64 {
		return counter(t, "controller_runtime_reconcile_total", map[string]string{"controller": "applicationserver"})
	}
	// Let earlier reconciles settle (this test's and other tests' servers:
	// the counters are the process's): neither reconciles nor writes move
	// for 2 s.
	testutil.Settled(t, wait, 2*time.Second, "reconciles and writes to settle", func() []float64 {
		return []float64{reconciles(), writes(t)}
	})
	before, beforeWrites := reconciles(), writes(t)
	dep := get(t, as, &appsv1.Deployment{})
	// The sample ships its logs: the shipper's ConfigMap, created in the
	// first reconcile after the Deployment, must not feed the config hash
	// (the builder hashes it itself), or the next reconcile rolls the pods.
	if dep.Generation != 1 {
		t.Errorf("the Deployment is at generation %d, want 1: a settled new server was changed after its creation", dep.Generation)
	}
	if dep.Annotations == nil {
		dep.Annotations = map[string]string{}
	}
	dep.Annotations["example.com/touched"] = "by-test"
	if err := k8s.Update(context.Background(), dep); err != nil {
		t.Fatal(err)
	}
	eventually(t, wait, "a reconcile", func() error {
		if reconciles() <= before {
			return errors.New("no reconcile yet")
		}
		return nil
	})
	if w := writes(t) - beforeWrites - 1; w != 0 {
		t.Errorf("the operator made %v write request(s) in a reconcile where nothing changed", w)
	}
}

func TestEnablingTheHPAKeepsTheReplicas(t *testing.T) {
	ns := newNamespace(t)
	as := sample(t, "appserver_v1alpha1_applicationserver_simple.yaml", ns)
	as.Spec.Deployment.Replicas = ptr.To[int32](3)
	create(t, as)
	replicas := func() (int32, error) {
		dep := &appsv1.Deployment{}
		if err := k8s.Get(context.Background(), client.ObjectKeyFromObject(as), dep); err != nil {
			return 0, err
		}
		return ptr.Deref(dep.Spec.Replicas, -1), nil
	}
	eventually(t, wait, "3 replicas", func() error {
		if n, err := replicas(); err != nil || n != 3 {
			return fmt.Errorf("%d (%w)", n, err)
		}
		return nil
	})

	update(t, as, func(as *v1alpha1.ApplicationServer) {
		as.Spec.HorizontalPodAutoscaler = &v1alpha1.HorizontalPodAutoscalerSpec{Enabled: true, MaxReplicas: ptr.To[int32](5),
			ResourceMetrics: &v1alpha1.ResourceMetrics{CPUAverageUtilization: ptr.To[int32](60)}}
	})
	get(t, as, &autoscalingv2.HorizontalPodAutoscaler{})
	waitStatus(t, as, "the HPA change to be reconciled", func(as *v1alpha1.ApplicationServer) error {
		if as.Status.ObservedGeneration != as.Generation {
			return errors.New("not yet")
		}
		return nil
	})
	// The API default (1) must not replace the running count while the
	// autoscaler has not acted yet.
	if n, err := replicas(); err != nil || n != 3 {
		t.Fatalf("replicas after enabling the HPA: %d (%v), want 3", n, err)
	}

	// The autoscaler scales (an Update through the scale subresource, as the
	// HPA controller does): from then on the count is the autoscaler's, and
	// the operator does not put it back.
	scale := &autoscalingv1.Scale{}
	dep := get(t, as, &appsv1.Deployment{})
	if err := k8s.SubResource("scale").Get(context.Background(), dep, scale); err != nil {
		t.Fatal(err)
	}
	scale.Spec.Replicas = 4
	if err := k8s.SubResource("scale").Update(context.Background(), dep, client.WithSubResourceBody(scale)); err != nil {
		t.Fatal(err)
	}
	// Wake the reconciler with a spec change that does not touch replicas.
	update(t, as, func(as *v1alpha1.ApplicationServer) { as.Spec.Deployment.Image = "example.com/app:2" })
	eventually(t, wait, "the new image", func() error {
		d := &appsv1.Deployment{}
		if err := k8s.Get(context.Background(), client.ObjectKeyFromObject(as), d); err != nil {
			return err
		}
		if d.Spec.Template.Spec.Containers[0].Image != "example.com/app:2" {
			return errors.New("image not rolled yet")
		}
		return nil
	})
	if n, err := replicas(); err != nil || n != 4 {
		t.Fatalf("replicas after the autoscaler scaled: %d (%v), want the autoscaler's 4", n, err)
	}
}

// failPodConfig plays the ReplicaSet controller and the kubelet, which do
// not run in envtest: it creates a pod of as whose container (an init
// container when init) waits in CreateContainerConfigError with msg, as the
// kubelet reports a missing ConfigMap or Secret, and waits for as to be
// Degraded with msg in its message. It returns the pod.
func failPodConfig(t *testing.T, as *v1alpha1.ApplicationServer, init bool, container, msg string) *corev1.Pod {
	t.Helper()
	dep := get(t, as, &appsv1.Deployment{})
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: as.Name + "-abc12", Namespace: as.Namespace, Labels: dep.Spec.Template.Labels},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "server", Image: as.Spec.Deployment.Image}}},
	}
	create(t, pod)
	status := []corev1.ContainerStatus{{Name: container, Image: as.Spec.Deployment.Image,
		State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "CreateContainerConfigError", Message: msg}}}}
	if init {
		pod.Status.InitContainerStatuses = status
	} else {
		pod.Status.ContainerStatuses = status
	}
	if err := k8s.Status().Update(context.Background(), pod); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, as, "Degraded with "+msg, func(as *v1alpha1.ApplicationServer) error {
		if err := wantCondition(as, v1alpha1.ConditionDegraded, metav1.ConditionTrue, v1alpha1.ReasonContainerConfigError); err != nil {
			return err
		}
		if m := condition(as, v1alpha1.ConditionDegraded).Message; !strings.Contains(m, msg) {
			return fmt.Errorf("message %q does not say %q", m, msg)
		}
		return nil
	})
	return pod
}

func TestMissingConfigMapShowsAsDegraded(t *testing.T) {
	ns := newNamespace(t)
	as := sample(t, "appserver_v1alpha1_applicationserver_simple.yaml", ns)
	as.Spec.Server.EnvFrom = &v1alpha1.EnvFromSpec{ConfigMaps: []string{"app-env"}}
	create(t, as)
	pod := failPodConfig(t, as, false, "server", `configmap "app-env" not found`)
	waitWarningEvent(t, as, v1alpha1.ReasonContainerConfigError, "app-env")

	// The ConfigMap appears and the container starts: no longer Degraded.
	pod.Status.ContainerStatuses[0].State = corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: metav1.Now()}}
	if err := k8s.Status().Update(context.Background(), pod); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, as, "Degraded to clear", func(as *v1alpha1.ApplicationServer) error {
		return wantCondition(as, v1alpha1.ConditionDegraded, metav1.ConditionFalse, v1alpha1.ReasonAsExpected)
	})
}
