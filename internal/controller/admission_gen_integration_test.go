//go:build integration

package controller_test

import (
	"fmt"
	"math/rand/v2"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"

	"github.com/appserver-operator/appserver-operator/api/v1alpha1"
)

// gen makes random ApplicationServers for the admission property test. It
// is biased towards edge values: most fields are left out, and those set
// take a value from a short list of valid, borderline and invalid ones
// (empty, huge, unicode, negative, upper case, malformed addresses and
// names) more often than a random one.
type gen struct{ r *rand.Rand }

func (g gen) maybe(p float64) bool { return g.r.Float64() < p }

// pick takes one of vs. The lists start with valid values: most picks
// (edgeRate aside) take one of the first three, so that most servers are
// admitted and their children reach the API server, and each server has a
// few edge values.
func pick[T any](g gen, vs ...T) T {
	if len(vs) > 3 && !g.maybe(edgeRate) {
		return vs[g.r.IntN(3)]
	}
	return vs[g.r.IntN(len(vs))]
}

// edgeRate is the share of picks from the whole list, edge values included.
const edgeRate = 0.06

// notInAdmission: the generator leaves valid what admission does not check: fields of embedded Kubernetes types whose strings and
// maps have no length bound in the schema, so that a CEL rule over them
// exceeds the API server's cost budget (resource names and requests above
// limits, hostAliases[].hostnames, init container and sidecar names,
// nodeSelector keys and values, container images with white space, volume
// mounts of unknown volumes and mount paths shared between features, volume
// names, env names outside printable ASCII, DNS search domains, label
// selectors, named probe ports, container port names, DNS nameservers,
// Ingress TLS hosts and Secret names, deployment.ports on the number of a service port that
// another one names as its targetPort). A
// mistake there makes the server Degraded with the API server's message.

func (g gen) n(max int) int { return g.r.IntN(max + 1) }

// letters of a random string, a few outside ASCII.
const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789-._ABCXYZ/:@%é名 "

func (g gen) randString(max int) string {
	n := g.n(max)
	var b strings.Builder
	rs := []rune(alphabet)
	for range n {
		b.WriteRune(rs[g.r.IntN(len(rs))])
	}
	return b.String()
}

// dnsLabel is a name: mostly valid, sometimes one of the classic mistakes.
func (g gen) dnsLabel() string {
	return pick(g, "a", "web", "my-app-2", strings.Repeat("a", 63), strings.Repeat("b", 64),
		"", "UPPER", "under_score", "-lead", "trail-", "dot.ted", "9starts-digit", "ünï", "sp ace",
		strings.Repeat("x", 253), strings.Repeat("y", 254), g.randString(20))
}

// dnsSubdomain is a name with dots allowed.
func (g gen) dnsSubdomain() string {
	return pick(g, "a", "cfg", "my.config-1", "a.b.c", strings.Repeat("a", 253), strings.Repeat("a", 254),
		"", "UPPER", "under_score", ".lead", "a..b", "-x", "ünï", g.randString(20))
}

func (g gen) labelKey() string {
	return pick(g, "tier", "example.com/tier", "app.kubernetes.io/part-of", "a_b.c-d", strings.Repeat("k", 63),
		strings.Repeat("k", 64), "", "/x", "a/b/c", "Example.com/x", "-x", "x-", "ké", "sp ace",
		strings.Repeat("p", 254)+"/x", strings.Repeat("p", 253)+"/x", "x/"+strings.Repeat("n", 64), g.randString(12))
}

func (g gen) labelValue() string {
	return pick(g, "", "v1", "a-b_c.d", strings.Repeat("v", 63), strings.Repeat("v", 64), "-a", "a-", "a b", "é", g.randString(10))
}

func (g gen) stringMap(key func() string, val func() string) map[string]string {
	if !g.maybe(0.3) {
		return nil
	}
	m := map[string]string{}
	for range 1 + g.n(3) {
		m[key()] = val()
	}
	return m
}

func (g gen) annotationValue() string {
	return pick(g, "", "x", "a b c", "é名", strings.Repeat("z", 4096), g.randString(40))
}

func (g gen) ip() string {
	return pick(g, "10.0.0.1", "192.0.2.10", "2001:db8::1", "::1", "127.0.0.1", "0.0.0.0", "::",
		"", "256.1.1.1", "10.0.0", "10.0.0.1/24", "not-an-ip", "010.000.000.001", "fe80::1%eth0", "1.2.3.4 ")
}

func (g gen) cidr() string {
	return pick(g, "10.0.0.0/8", "192.0.2.0/24", "2001:db8::/32", "0.0.0.0/0", "10.0.0.1/8",
		"", "10.0.0.0", "10.0.0.0/33", "not/a-cidr", "2001:db8::/129", " 10.0.0.0/8")
}

func (g gen) port() int32 {
	return pick(g, int32(1), 80, 8080, 8443, 30080, 32767, 65535, 0, -1, 65536, int32(g.r.IntN(70000)))
}

func (g gen) absPath() string {
	return pick(g, "/", "/a", "/opt/app/x", "/data", "/var/log", "/health/live", "relative", "", "/a/../b",
		"/a//b", "/x:y", "/é", "/"+strings.Repeat("p", 300), "/with space", "/a/./b")
}

func (g gen) quantity() resource.Quantity {
	return resource.MustParse(pick(g, "0", "1", "100m", "1Gi", "512Mi", "-1", "-100m", "1e3", "1Ei", "0.5", "1n"))
}

func (g gen) quantityPtr() *resource.Quantity {
	if !g.maybe(0.5) {
		return nil
	}
	return ptr.To(g.quantity())
}

func (g gen) int32Ptr(vs ...int32) *int32 {
	if !g.maybe(0.4) {
		return nil
	}
	return ptr.To(pick(g, vs...))
}

func (g gen) intOrString() *intstr.IntOrString {
	if !g.maybe(0.4) {
		return nil
	}
	return ptr.To(pick(g, intstr.FromInt32(1), intstr.FromString("50%"), intstr.FromInt32(0), intstr.FromInt32(-1), intstr.FromInt32(100),
		intstr.FromString("50%"), intstr.FromString("0%"), intstr.FromString("100%"), intstr.FromString("150%"),
		intstr.FromString("abc"), intstr.FromString(""), intstr.FromString("-5%")))
}

func (g gen) resourceList() corev1.ResourceList {
	if !g.maybe(0.5) {
		return nil
	}
	l := corev1.ResourceList{}
	for range 1 + g.n(2) {
		// Only valid names: see notInAdmission.
		name := pick(g, corev1.ResourceCPU, corev1.ResourceMemory, "ephemeral-storage")
		l[name] = resource.MustParse(pick(g, "100m", "1", "1Gi", "0", "1e3", "1n")) // not negative: see notInAdmission
	}
	return l
}

func (g gen) resources() *corev1.ResourceRequirements {
	if !g.maybe(0.3) {
		return nil
	}
	// Requests or limits, not both: see notInAdmission.
	if g.maybe(0.5) {
		return &corev1.ResourceRequirements{Requests: g.resourceList()}
	}
	return &corev1.ResourceRequirements{Limits: g.resourceList()}
}

func (g gen) labelSelector() *metav1.LabelSelector {
	if !g.maybe(0.6) {
		return nil
	}
	// Valid keys and values only: see notInAdmission.
	s := &metav1.LabelSelector{MatchLabels: g.stringMap(func() string { return pick(g, "tier", "example.com/team") },
		func() string { return pick(g, "a", "", "web") })}
	if g.maybe(0.3) {
		// Valid expressions only: see notInAdmission.
		s.MatchExpressions = []metav1.LabelSelectorRequirement{pick(g,
			metav1.LabelSelectorRequirement{Key: "tier", Operator: metav1.LabelSelectorOpIn, Values: []string{"a"}},
			metav1.LabelSelectorRequirement{Key: "tier", Operator: metav1.LabelSelectorOpExists})}
	}
	if len(s.MatchLabels) == 0 && len(s.MatchExpressions) == 0 {
		s.MatchLabels = map[string]string{"team": "a"}
	}
	return s
}

func (g gen) probe() *corev1.Probe {
	if !g.maybe(0.2) {
		return nil
	}
	p := &corev1.Probe{
		PeriodSeconds:    pick(g, int32(0), 1, 10, -1),
		SuccessThreshold: pick(g, int32(0), 1, 3, -1),
		TimeoutSeconds:   pick(g, int32(0), 1, -1),
	}
	switch g.n(2) {
	case 0:
		p.HTTPGet = &corev1.HTTPGetAction{Path: g.absPath(), Port: pick(g, intstr.FromInt32(8080), intstr.FromInt32(0), intstr.FromString("http"))}
	case 1:
		p.TCPSocket = &corev1.TCPSocketAction{Port: pick(g, intstr.FromInt32(8080), intstr.FromInt32(70000))}
	}
	return p
}

// applicationServer makes one random ApplicationServer in namespace ns.
func (g gen) applicationServer(ns string) *v1alpha1.ApplicationServer {
	name := pick(g, "a", "web", "shop-frontend", strings.Repeat("n", 40), strings.Repeat("m", 57),
		strings.Repeat("m", 58), strings.Repeat("n", 63), "x1")
	as := &v1alpha1.ApplicationServer{
		TypeMeta:   metav1.TypeMeta{APIVersion: v1alpha1.GroupVersion.String(), Kind: "ApplicationServer"},
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
	}
	s := &as.Spec
	s.Common.Labels = map[string]v1alpha1.LabelValue{}
	for k, v := range g.stringMap(g.labelKey, g.labelValue) {
		s.Common.Labels[k] = v1alpha1.LabelValue(v)
	}
	s.Common.Annotations = g.stringMap(g.labelKey, g.annotationValue)
	g.deployment(&s.Deployment)
	g.server(&s.Server, &s.Deployment)
	g.service(&s.Service)
	if g.maybe(0.25) {
		s.HorizontalPodAutoscaler = g.hpa()
	}
	if g.maybe(0.25) {
		s.Ingress = &v1alpha1.IngressSpec{
			Enabled:     g.maybe(0.8),
			Host:        pick(g, "", "shop.example.com", "*.example.com", "a..b", "UPPER.example.com", strings.Repeat("h", 64)+".com"),
			Path:        pick(g, "", "/", "/shop", "/a//b", "/a b", "/é", "/{x}", "/$"),
			PathType:    pick(g, networkingv1.PathType(""), networkingv1.PathTypePrefix, networkingv1.PathTypeExact, networkingv1.PathTypeImplementationSpecific),
			Port:        pick(g, "", "http", "https"),
			Annotations: g.stringMap(g.labelKey, g.annotationValue),
		}
		if g.maybe(0.4) {
			s.Ingress.ClassName = ptr.To(g.dnsSubdomain())
		}
		if g.maybe(0.3) {
			s.Ingress.TLS = []networkingv1.IngressTLS{{Hosts: []string{pick(g, "shop.example.com", "*.x.com")}, SecretName: pick(g, "shop-tls", "tls")}} // see notInAdmission
		}
	}
	if g.maybe(0.25) {
		s.PodDisruptionBudget = &v1alpha1.PodDisruptionBudgetSpec{MinAvailable: g.intOrString(), MaxUnavailable: g.intOrString()}
		if g.maybe(0.2) {
			s.PodDisruptionBudget.Enabled = ptr.To(g.maybe(0.5))
		}
	}
	if g.maybe(0.2) {
		for range 1 + g.n(2) {
			d := v1alpha1.Dependency{TimeoutSeconds: g.int32Ptr(60, 1, 2147483647, 0)}
			switch g.n(2) {
			case 0:
				d.TCP = pick(g, "db:5432", "[::1]:80", "db:99999", "db:0", "é:1", "a b:1", "db:")
			case 1:
				d.HTTP = &v1alpha1.HTTPDependency{URL: pick(g, "http://db/health", "https://x", "http://", "http://a b/"), ExpectStatus: g.int32Ptr(200, 100, 99, 600)}
			default:
				d.ApplicationServer = g.dnsLabel()
			}
			s.DependsOn = append(s.DependsOn, d)
		}
	}
	if g.maybe(0.2) {
		s.RestartVersion = pick(g, "1", "", "é名", strings.Repeat("r", 253), strings.Repeat("r", 254))
	}
	if g.maybe(0.25) {
		s.NetworkPolicy = &v1alpha1.NetworkPolicySpec{Enabled: g.maybe(0.8)}
		for range g.n(2) {
			p := v1alpha1.NetworkPolicyPeer{NamespaceSelector: g.labelSelector(), PodSelector: g.labelSelector()}
			if p.NamespaceSelector == nil && p.PodSelector == nil {
				p.PodSelector = &metav1.LabelSelector{MatchLabels: map[string]string{"role": "client"}}
			}
			s.NetworkPolicy.From = append(s.NetworkPolicy.From, p)
		}
		if g.maybe(0.3) {
			s.NetworkPolicy.AllowSameNamespace = ptr.To(g.maybe(0.5))
		}
	}
	return as
}

func (g gen) deployment(d *v1alpha1.DeploymentSpec) {
	d.Image = pick(g, "example.com/app:1", "app", "example.com/app@sha256:"+strings.Repeat("a", 64), "",
		" app", "app ", "UPPER/App:1", "é", strings.Repeat("i", 1024), "app:tag:tag")
	d.Replicas = g.int32Ptr(1, 3, 0, -1, 2147483647)
	if g.maybe(0.2) {
		d.ImagePullPolicy = pick(g, corev1.PullAlways, corev1.PullIfNotPresent, corev1.PullNever, "Sometimes")
	}
	if g.maybe(0.2) {
		d.ImagePullSecrets = []corev1.LocalObjectReference{{Name: g.dnsSubdomain()}}
	}
	d.Annotations = g.stringMap(g.labelKey, g.annotationValue)
	if g.maybe(0.2) {
		d.Hostname = g.dnsLabel()
	}
	if g.maybe(0.2) {
		d.Subdomain = g.dnsLabel()
	}
	if g.maybe(0.2) {
		d.ServiceAccountName = g.dnsSubdomain()
	}
	if g.maybe(0.2) {
		d.DNS = &v1alpha1.DNSSpec{DNSPolicy: pick(g, corev1.DNSPolicy(""), corev1.DNSClusterFirst, corev1.DNSNone, corev1.DNSDefault, "Other")}
		if g.maybe(0.6) {
			d.DNS.DNSConfig = &corev1.PodDNSConfig{}
			for range g.n(4) {
				d.DNS.DNSConfig.Nameservers = append(d.DNS.DNSConfig.Nameservers, pick(g, "10.0.0.10", "2001:db8::10")) // see notInAdmission
			}
			for range g.n(2) {
				d.DNS.DNSConfig.Searches = append(d.DNS.DNSConfig.Searches, pick(g, "svc.cluster.local", "example.com")) // see notInAdmission
			}
			if g.maybe(0.3) {
				d.DNS.DNSConfig.Options = []corev1.PodDNSConfigOption{{Name: pick(g, "ndots", "x y")}}
			}
		}
	}
	if g.maybe(0.2) {
		d.HostAliases = []corev1.HostAlias{{IP: g.ip(), Hostnames: []string{pick(g, "db", "db.local", "x.y.z")}}}
	}
	d.NodeSelector = g.stringMap(func() string { return pick(g, "disk", "example.com/zone", "kubernetes.io/os") },
		func() string { return pick(g, "ssd", "", "linux") })
	if g.maybe(0.2) {
		// Keys and values valid: see notInAdmission.
		t := corev1.Toleration{Key: pick(g, "", "node-role", "example.com/dedicated"),
			Operator: pick(g, corev1.TolerationOperator(""), corev1.TolerationOpExists, corev1.TolerationOpEqual, "Gt", "Maybe"),
			Value:    pick(g, "", "v", "web"),
			Effect:   pick(g, corev1.TaintEffect(""), corev1.TaintEffectNoSchedule, corev1.TaintEffectNoExecute, "Sometimes")}
		if g.maybe(0.3) {
			t.TolerationSeconds = ptr.To(pick(g, int64(0), 60, -1))
		}
		d.Tolerations = []corev1.Toleration{t}
	}
	if g.maybe(0.15) {
		d.TopologySpreadConstraints = []corev1.TopologySpreadConstraint{{MaxSkew: pick(g, int32(0), 1, -1),
			TopologyKey:       pick(g, "", "topology.kubernetes.io/zone", "bad key"),
			WhenUnsatisfiable: pick(g, corev1.DoNotSchedule, corev1.ScheduleAnyway, "Whatever")}}
	}
	if g.maybe(0.2) {
		d.PriorityClassName = g.dnsSubdomain()
	}
	if g.maybe(0.25) {
		st := &appsv1.DeploymentStrategy{Type: pick(g, appsv1.DeploymentStrategyType(""), appsv1.RollingUpdateDeploymentStrategyType, appsv1.RecreateDeploymentStrategyType, "BlueGreen")}
		if g.maybe(0.5) {
			st.RollingUpdate = &appsv1.RollingUpdateDeployment{MaxSurge: g.intOrString(), MaxUnavailable: g.intOrString()}
		}
		d.Strategy = st
	}
	d.ProgressDeadlineSeconds = g.int32Ptr(600, 1, 2147483647, 0)
	if g.maybe(0.3) {
		d.TerminationGracePeriodSeconds = ptr.To(pick(g, int64(30), 0, 120, -1, 1, 1<<40))
	}
	if g.maybe(0.2) {
		d.TimeZone = pick(g, "Asia/Tokyo", "UTC", "", "Etc/GMT+9", "../etc")
	}
	if g.maybe(0.3) {
		d.Resources = &v1alpha1.ContainerResources{Server: g.resources(), LogShipper: g.resources()}
	}
	if g.maybe(0.2) {
		d.ReadinessProbe = &v1alpha1.ContainerProbe{Server: g.probe(), LogShipper: g.probe()}
	}
	if g.maybe(0.2) {
		d.LivenessProbe = &v1alpha1.ContainerProbe{Server: g.probe()}
	}
	if g.maybe(0.2) {
		d.StartupProbe = &v1alpha1.ContainerProbe{Server: g.probe()}
	}
	if g.maybe(0.2) {
		d.Shutdown = &v1alpha1.ShutdownSpec{DrainSeconds: g.int32Ptr(1, 5, 10, 0, 29, 30, 3600, 3601)}
	}
	if g.maybe(0.2) {
		d.RestartOnConfigChange = ptr.To(g.maybe(0.5))
	}
	if g.maybe(0.2) {
		for range 1 + g.n(1) {
			v := corev1.Volume{Name: pick(g, "data", "scratch", "x-1")} // see notInAdmission
			if g.maybe(0.9) {
				v.EmptyDir = &corev1.EmptyDirVolumeSource{}
			}
			d.Volumes = append(d.Volumes, v)
		}
	}
	if g.maybe(0.2) {
		// Only mounts of a volume of the spec, on a path of their own:
		// see notInAdmission.
		if len(d.Volumes) > 0 {
			d.VolumeMounts = &v1alpha1.ContainerVolumeMounts{Server: []corev1.VolumeMount{{Name: d.Volumes[0].Name,
				MountPath: "/mnt/user", SubPath: pick(g, "", "a", "a/b")}}}
		}
	}
	for i, list := range []*[]corev1.Container{&d.InitContainers, &d.Sidecars} {
		if g.maybe(0.15) {
			// Names distinct and valid, ports valid: see notInAdmission.
			c := corev1.Container{Name: pick(g, "init", "proxy", "x-1") + fmt.Sprint(i), Image: pick(g, "busybox", "")}
			if g.maybe(0.3) {
				c.Ports = []corev1.ContainerPort{{Name: "metrics" + fmt.Sprint(i), ContainerPort: pick(g, int32(9100), 8080, 9200)}}
			}
			*list = append(*list, c)
		}
	}
	if g.maybe(0.1) {
		d.Command = &v1alpha1.ContainerCommand{Server: []string{pick(g, "", "java", "é")}}
	}
	if g.maybe(0.1) {
		d.Args = &v1alpha1.ContainerCommand{Server: []string{pick(g, "", "-jar", "é")}}
	}
	if g.maybe(0.2) {
		for i := range 1 + g.n(1) {
			// Names valid and unique: see notInAdmission.
			name := pick(g, "jmx", "http", "jgroups", "")
			if i > 0 {
				name = "debug"
			}
			d.Ports = append(d.Ports, corev1.ContainerPort{Name: name,
				ContainerPort: pick(g, int32(9010), 9011, 0, 65536, 8080), Protocol: pick(g, corev1.ProtocolTCP, corev1.ProtocolUDP)})
		}
	}
	if g.maybe(0.15) {
		d.LogShipper = &v1alpha1.LogShipperSpec{Image: pick(g, "", "shipper:1", " x"),
			ExtraAttributes: g.stringMap(g.labelKey, g.annotationValue)}
		switch g.n(2) {
		case 0:
			d.LogShipper.Elasticsearch = &v1alpha1.ElasticsearchSpec{Host: pick(g, "es", "10.0.0.1", "es.local", "::1"),
				Port: g.port(), Path: pick(g, "", "/insert/elasticsearch", "/"), Index: pick(g, "", "appserver", "a+b")}
		case 1:
			d.LogShipper.OTLP = &v1alpha1.OTLPSpec{Endpoint: pick(g, "http://loki:3100/otlp", "https://c:4317"), Protocol: pick(g, "", "grpc")}
		}
	}
}

func (g gen) server(s *v1alpha1.ServerSpec, d *v1alpha1.DeploymentSpec) {
	if g.maybe(0.3) {
		for range 1 + g.n(2) {
			s.Env = append(s.Env, corev1.EnvVar{Name: pick(g, "JAVA_OPTS", "TZ", "a.b", "1X", "", "with space"), // ASCII: see notInAdmission
				Value: g.annotationValue()})
		}
	}
	if g.maybe(0.2) {
		s.EnvFrom = &v1alpha1.EnvFromSpec{}
		if g.maybe(0.7) {
			s.EnvFrom.ConfigMaps = []string{g.dnsSubdomain()}
		}
		if g.maybe(0.7) {
			s.EnvFrom.Secrets = []string{g.dnsSubdomain()}
		}
	}
	if g.maybe(0.25) {
		s.HealthCheck = &v1alpha1.HealthCheckSpec{Scheme: pick(g, "", "http", "HTTPS"), Port: g.port(),
			ReadinessPath: v1alpha1.HTTPPath(pick(g, "", "/ready", "/a b", "/é")), LivenessPath: v1alpha1.HTTPPath(pick(g, "", "/live")),
			StartupTimeoutSeconds: g.int32Ptr(10, 600, 86400, 9, 86401)}
	}
	if g.maybe(0.2) {
		s.Metering = &v1alpha1.MeteringSpec{Enabled: g.maybe(0.7), Scheme: pick(g, "", "http", "https"), Port: g.port(), Path: pick(g, "", "/metrics", "/a b")}
	}
	if g.maybe(0.2) {
		s.Application = &v1alpha1.ApplicationSpec{}
		for range 1 + g.n(2) {
			s.Application.Logs = append(s.Application.Logs, v1alpha1.LogPath(pick(g, "/var/log/app.log", "/opt/app/logs/*.log",
				"/a/b.log", "/é/x.log", "/A B/c.log", "/"+strings.Repeat("d", 300)+"/x.log", "/data/x.log", "/opt/WebOTX/pv/x.log")))
		}
	}
	if g.maybe(0.15) {
		s.PerformanceAnalyzer = &v1alpha1.PerformanceAnalyzerSpec{FaultVerificationTime: g.int32Ptr(-1, 0, 30)}
	}
	if g.maybe(0.2) {
		s.SessionReplication = &v1alpha1.SessionReplicationSpec{Enabled: g.maybe(0.8), Discovery: pick(g, "", "dns", "kubernetes"), Port: g.port()}
	}
	if g.maybe(0.2) {
		s.FileMounts = &v1alpha1.FileMountsSpec{}
		for range 1 + g.n(1) {
			m := v1alpha1.FileMount{Name: g.dnsSubdomain(), Key: pick(g, "k", "domain.xml", "", "a/b", ".."),
				Path: pick(g, "/etc/fm/a", "/etc/fm/b.xml", "/", "relative", "/etc/../x", "/etc/fm/é")} // paths of their own: see notInAdmission
			if g.maybe(0.5) {
				s.FileMounts.ConfigMaps = append(s.FileMounts.ConfigMaps, m)
			} else {
				s.FileMounts.Secrets = append(s.FileMounts.Secrets, m)
			}
		}
	}
	if g.maybe(0.15) {
		s.Replacement = &v1alpha1.ReplacementSpec{PersistentVolumeClaimName: g.dnsSubdomain()}
	}
	if g.maybe(0.15) {
		s.Persistence = &v1alpha1.PersistenceSpec{ClaimName: g.dnsSubdomain(), MountPath: g.absPath(), SubPath: pick(g, "", "a", "a/b", "é")}
	}
	if g.maybe(0.2) {
		s.Tracing = &v1alpha1.TracingSpec{}
		if g.maybe(0.6) {
			s.Tracing.Jaeger = &v1alpha1.JaegerSpec{ServiceName: pick(g, "", "svc", "é"), AgentHost: pick(g, "", "jaeger", "a b"),
				AgentPort: pick(g, "", "6831", "99999")}
			if g.maybe(0.3) {
				s.Tracing.Jaeger.AuthSecret = &v1alpha1.SecretName{Name: g.dnsSubdomain()}
			}
		}
		if g.maybe(0.6) {
			s.Tracing.OTLP = &v1alpha1.TracingOTLPSpec{Endpoint: "http://collector:4318", ResourceAttributes: g.stringMap(g.labelKey, g.annotationValue)}
			if g.maybe(0.3) {
				s.Tracing.OTLP.HeadersSecret = &v1alpha1.SecretKey{Name: g.dnsSubdomain(), Key: pick(g, "h", "", "a/b")}
			}
		}
	}
	_ = d
}

func (g gen) service(s *v1alpha1.ServiceSpec) {
	if g.maybe(0.4) {
		s.Type = pick(g, corev1.ServiceTypeClusterIP, corev1.ServiceTypeNodePort, corev1.ServiceTypeLoadBalancer)
	}
	if g.maybe(0.5) {
		names := []string{"http", "https", "admin", "jgroups", "a", strings.Repeat("p", 15), "x-1"}
		g.r.Shuffle(len(names), func(i, j int) { names[i], names[j] = names[j], names[i] })
		for i := range 1 + g.n(2) {
			p := v1alpha1.ServicePort{Name: names[i], Port: g.port(), Protocol: pick(g, corev1.Protocol(""), corev1.ProtocolTCP, corev1.ProtocolUDP, corev1.ProtocolSCTP)}
			if g.maybe(0.3) {
				p.TargetPort = ptr.To(pick(g, intstr.FromInt32(g.port()), intstr.FromString(names[0]), intstr.FromString("nope")))
			}
			if g.maybe(0.2) {
				p.AppProtocol = ptr.To(pick(g, "http", "kubernetes.io/h2c", "", "a b", "Example.com/x", "é"))
			}
			if (s.Type == corev1.ServiceTypeNodePort || s.Type == corev1.ServiceTypeLoadBalancer) && g.maybe(0.4) {
				p.NodePort = ptr.To(pick(g, int32(30080), 30081, 32767, 1, 65535))
			}
			s.Ports = append(s.Ports, p)
		}
	}
	if g.maybe(0.2) {
		s.SessionAffinity = pick(g, corev1.ServiceAffinityNone, corev1.ServiceAffinityClientIP)
		if s.SessionAffinity == corev1.ServiceAffinityClientIP && g.maybe(0.5) {
			s.SessionAffinityConfig = &corev1.SessionAffinityConfig{ClientIP: &corev1.ClientIPConfig{TimeoutSeconds: g.int32Ptr(1, 10800, 86400, 0, 86401)}}
		}
	}
	if s.Type == corev1.ServiceTypeNodePort || s.Type == corev1.ServiceTypeLoadBalancer {
		if g.maybe(0.3) {
			s.ExternalTrafficPolicy = pick(g, corev1.ServiceExternalTrafficPolicyCluster, corev1.ServiceExternalTrafficPolicyLocal)
		}
	}
	if s.Type == corev1.ServiceTypeLoadBalancer {
		if g.maybe(0.4) {
			s.LoadBalancerIP = g.ip()
		}
		if g.maybe(0.4) {
			s.LoadBalancerSourceRanges = []string{g.cidr()}
		}
	}
	if g.maybe(0.15) {
		s.ExternalIPs = []string{g.ip()}
	}
	s.Annotations = g.stringMap(g.labelKey, g.annotationValue)
}

func (g gen) hpa() *v1alpha1.HorizontalPodAutoscalerSpec {
	h := &v1alpha1.HorizontalPodAutoscalerSpec{Enabled: g.maybe(0.8), MinReplicas: g.int32Ptr(1, 2, 100), MaxReplicas: g.int32Ptr(1, 2, 10, 2147483647)}
	if g.maybe(0.6) {
		h.ResourceMetrics = &v1alpha1.ResourceMetrics{CPUAverageUtilization: g.int32Ptr(1, 50, 1000), MemoryAverageValue: g.quantityPtr()}
		if h.ResourceMetrics.CPUAverageUtilization == nil {
			h.ResourceMetrics.CPUAverageValue = g.quantityPtr()
		}
	}
	if g.maybe(0.4) {
		h.PodMetrics = []v1alpha1.PodMetric{{Name: pick(g, "requests_per_second", "a/b", "é", "with space", "UPPER"), AverageValue: g.quantity()}}
	}
	if g.maybe(0.2) {
		h.Behavior = &autoscalingv2.HorizontalPodAutoscalerBehavior{ScaleDown: &autoscalingv2.HPAScalingRules{
			StabilizationWindowSeconds: g.int32Ptr(0, 300, 3600, -1, 3601)}}
	}
	return h
}
