package v1alpha1

import (
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// ApplicationServer runs one Java application server (or any HTTP server image)
// as a Deployment with a Service, and optionally a HorizontalPodAutoscaler,
// an Ingress and a PodDisruptionBudget.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:subresource:scale:specpath=.spec.deployment.replicas,statuspath=.status.replicas,selectorpath=.status.selector
// +kubebuilder:resource:shortName=appserver;appsrv,categories=all
// +kubebuilder:printcolumn:name="Image",type=string,JSONPath=".spec.deployment.image"
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=".status.ready"
// +kubebuilder:printcolumn:name="Available",type=string,JSONPath=".status.conditions[?(@.type==\"Available\")].status"
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=".metadata.creationTimestamp"
// +kubebuilder:printcolumn:name="Reason",type=string,JSONPath=".status.conditions[?(@.type==\"Available\")].reason",priority=1
// +kubebuilder:printcolumn:name="Message",type=string,JSONPath=".status.conditions[?(@.type==\"Available\")].message",priority=1
// +kubebuilder:validation:XValidation:rule="size(self.metadata.name) <= 63 && self.metadata.name.matches('^[a-z]([-a-z0-9]*[a-z0-9])?$')",message="metadata.name must be a DNS-1035 label (lower-case letters, digits and '-', starting with a letter, at most 63 characters): it names the Service"
// +kubebuilder:validation:XValidation:rule="!has(self.spec.server) || !has(self.spec.server.sessionReplication) || !self.spec.server.sessionReplication.enabled || size(self.metadata.name) <= 57",message="metadata.name must be at most 57 characters while spec.server.sessionReplication is enabled: the peers Service is named <name>-peers"
type ApplicationServer struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec is what the user asks for.
	// +required
	Spec ApplicationServerSpec `json:"spec"`

	// status is what the operator observed.
	// +optional
	Status ApplicationServerStatus `json:"status,omitempty"`
}

// ApplicationServerList is a list of ApplicationServers.
//
// +kubebuilder:object:root=true
type ApplicationServerList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []ApplicationServer `json:"items"`
}

// ApplicationServerSpec follows the shape of WebOTX's custom resource:
// common, server (WebOTX: webotx), deployment, horizontalPodAutoscaler, service.
//
// +kubebuilder:validation:XValidation:rule="!has(self.server.sessionReplication) || !self.server.sessionReplication.enabled || !has(self.service.ports) || !self.service.ports.exists(p, p.name == 'jgroups')",message="spec.service.ports: the name jgroups is the session replication port's while spec.server.sessionReplication is enabled"
// +kubebuilder:validation:XValidation:rule="!has(self.ingress) || !has(self.ingress.enabled) || !self.ingress.enabled || !has(self.service.ports) || self.service.ports.exists(p, p.name == (has(self.ingress.port) ? self.ingress.port : 'http'))",message="spec.ingress.port must name one of spec.service.ports"
// +kubebuilder:validation:XValidation:rule="!has(self.deployment.ports) || !has(self.service.ports) || self.deployment.ports.all(c, !has(c.name) || !self.service.ports.exists(p, p.name == c.name))",message="spec.deployment.ports[].name: the names of spec.service.ports are taken (they name the server container's ports)"
// +kubebuilder:validation:XValidation:rule="!has(self.server) || !has(self.server.sessionReplication) || !self.server.sessionReplication.enabled || !has(self.deployment.ports) || !self.deployment.ports.exists(c, has(c.name) && c.name == 'jgroups')",message="spec.deployment.ports[].name: jgroups is the session replication port's name while spec.server.sessionReplication is enabled"
// +kubebuilder:validation:XValidation:rule="!has(self.server) || !has(self.server.persistence) || !has(self.server.application) || !has(self.server.application.logs) || self.server.application.logs.all(l, l.substring(0, l.lastIndexOf('/')) != self.server.persistence.mountPath)",message="spec.server.application.logs: a log directory is mounted for the log shipper and must differ from spec.server.persistence.mountPath"
// +kubebuilder:validation:XValidation:rule="!has(self.server) || !has(self.server.replacement) || !has(self.server.replacement.persistentVolumeClaimName) || !has(self.server.application) || !has(self.server.application.logs) || self.server.application.logs.all(l, l.substring(0, l.lastIndexOf('/')) != '/opt/WebOTX/pv')",message="spec.server.application.logs: a log directory is mounted for the log shipper and must differ from /opt/WebOTX/pv, where spec.server.replacement mounts its volume"
// +kubebuilder:validation:XValidation:rule="!has(self.deployment.ports) || !has(self.service.ports) || self.deployment.ports.all(c, !self.service.ports.exists(p, (has(p.targetPort) && type(p.targetPort) == int ? int(p.targetPort) : p.port) == c.containerPort && (has(p.protocol) ? p.protocol : 'TCP') == (has(c.protocol) ? c.protocol : 'TCP')))",message="spec.deployment.ports[].containerPort: the (target) ports of spec.service.ports are the server container's already"
// +kubebuilder:validation:XValidation:rule="!has(self.server) || !has(self.server.sessionReplication) || !self.server.sessionReplication.enabled || ((!has(self.service.ports) || !self.service.ports.exists(p, (has(p.targetPort) && type(p.targetPort) == int ? int(p.targetPort) : p.port) == (has(self.server.sessionReplication.port) ? self.server.sessionReplication.port : 7800) && (has(p.protocol) ? p.protocol : 'TCP') == 'TCP')) && (!has(self.deployment.ports) || !self.deployment.ports.exists(c, c.containerPort == (has(self.server.sessionReplication.port) ? self.server.sessionReplication.port : 7800) && (has(c.protocol) ? c.protocol : 'TCP') == 'TCP')))",message="spec.server.sessionReplication.port (7800 when unset) must differ from the server container's other ports (spec.service.ports, spec.deployment.ports)"
// +kubebuilder:validation:XValidation:rule="!has(self.route) || !has(self.route.port) || !has(self.service.ports) || self.service.ports.exists(p, p.name == self.route.port)",message="spec.route.port must name one of spec.service.ports"
type ApplicationServerSpec struct {
	// common holds labels and annotations added to every object the operator
	// creates for this server, and to its pods.
	// +optional
	Common CommonSpec `json:"common,omitempty"`

	// server holds settings of the application server process in the pod
	// (WebOTX: spec.webotx).
	// +optional
	Server ServerSpec `json:"server,omitempty"`

	// deployment describes the pods that run the server.
	// +required
	Deployment DeploymentSpec `json:"deployment"`

	// horizontalPodAutoscaler scales the server on CPU, memory or pod metrics.
	// While it is enabled the operator leaves spec.replicas of the Deployment
	// to the autoscaler.
	// +optional
	HorizontalPodAutoscaler *HorizontalPodAutoscalerSpec `json:"horizontalPodAutoscaler,omitempty"`

	// service describes the Service that exposes the server. Defaults to a
	// ClusterIP Service with ports http 8080 and https 8443.
	// +optional
	// +kubebuilder:default={}
	Service ServiceSpec `json:"service,omitempty"`

	// ingress exposes one service port through an Ingress (beyond WebOTX).
	// +optional
	Ingress *IngressSpec `json:"ingress,omitempty"`

	// podDisruptionBudget limits voluntary disruptions of the server's pods
	// (beyond WebOTX).
	// +optional
	PodDisruptionBudget *PodDisruptionBudgetSpec `json:"podDisruptionBudget,omitempty"`

	// dependsOn lists what the server's pods wait for before the server
	// starts: a wait-for init container running the operator's own image
	// checks each entry with backoff (beyond WebOTX).
	// +optional
	// +kubebuilder:validation:MaxItems=32
	DependsOn []Dependency `json:"dependsOn,omitempty"`

	// restartVersion: any change of this string rolls the server's pods
	// (beyond WebOTX).
	// +optional
	// +kubebuilder:validation:MaxLength=253
	RestartVersion string `json:"restartVersion,omitempty"`

	// networkPolicy isolates the server's pods with an ingress NetworkPolicy
	// (beyond WebOTX).
	// +optional
	NetworkPolicy *NetworkPolicySpec `json:"networkPolicy,omitempty"`

	// route exposes one service port through an OpenShift Route, when the
	// cluster serves route.openshift.io/v1 (beyond WebOTX).
	// +optional
	Route *RouteSpec `json:"route,omitempty"`
}

// CommonSpec holds metadata shared by every child object.
type CommonSpec struct {
	// labels are added to every child object and to the pod template. They
	// never replace the operator's own app.kubernetes.io/* labels.
	// +optional
	// +kubebuilder:validation:MaxProperties=64
	// +kubebuilder:validation:XValidation:rule="self.all(k, size(k) <= 317 && k.indexOf('/') <= 253 && k.matches('^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$'))",message="spec.common.labels: every key must be a valid label key ([prefix/]name, name at most 63 characters of alphanumerics, '-', '_' or '.')"
	Labels map[string]LabelValue `json:"labels,omitempty"`

	// annotations are added to every child object and to the pod template.
	// +optional
	// +kubebuilder:validation:MaxProperties=64
	// +kubebuilder:validation:XValidation:rule="self.all(k, k.indexOf('/') <= 253 && k.matches('^([A-Za-z0-9]([-A-Za-z0-9]*[A-Za-z0-9])?(\\\\.[A-Za-z0-9]([-A-Za-z0-9]*[A-Za-z0-9])?)*/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$'))",message="spec.common.annotations: every key must be a valid annotation key ([prefix/]name, name at most 63 characters of alphanumerics, '-', '_' or '.', prefix a DNS subdomain)"
	Annotations map[string]string `json:"annotations,omitempty"`
}

// LabelValue is a label value: at most 63 alphanumerics, '-', '_' or '.',
// starting and ending with an alphanumeric, or empty.
// +kubebuilder:validation:MaxLength=63
// +kubebuilder:validation:Pattern=`^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$`
type LabelValue string

// ServerSpec holds settings of the application server process. A variable
// of env wins over TZ from deployment.timeZone and OTX_STOP_TIMEOUT from
// deployment.shutdown (derived defaults); any other name the operator sets
// from a field of this block is rejected while that field is in use.
//
// Names the operator sets in the server container (internal/resources/names.go)
// are rejected in env while the field that sets them is in use; a unit test
// keeps these lists and the builders in step.
// +kubebuilder:validation:XValidation:rule="!has(self.env) || !(has(self.sessionReplication) && self.sessionReplication.enabled) || !self.env.exists(e, e.name in ['OTX_DATAGRID_TYPE', 'OTX_USE_JMX_AGENT', 'OTX_USE_ALL_PROCESSGROUPS', 'KUBERNETES_NAMESPACE', 'KUBERNETES_LABELS', 'JGROUPS_DNS_QUERY'])",message="spec.server.env: OTX_DATAGRID_TYPE, OTX_USE_JMX_AGENT, OTX_USE_ALL_PROCESSGROUPS, KUBERNETES_NAMESPACE, KUBERNETES_LABELS, JGROUPS_DNS_QUERY are set by the operator while spec.server.sessionReplication is used; set them there, or remove them from spec.server.env"
// +kubebuilder:validation:XValidation:rule="!has(self.env) || !(has(self.tracing) && has(self.tracing.jaeger)) || !self.env.exists(e, e.name in ['JAEGER_SERVICE_NAME', 'JAEGER_AGENT_HOST', 'JAEGER_AGENT_PORT', 'JAEGER_ENDPOINT', 'JAEGER_AUTH_TOKEN', 'JAEGER_USER', 'JAEGER_PASSWORD', 'JAEGER_PROPAGATION', 'JAEGER_REPORTER_LOG_SPANS', 'JAEGER_REPORTER_MAX_QUEUE_SIZE', 'JAEGER_REPORTER_FLUSH_INTERVAL', 'JAEGER_SAMPLER_TYPE', 'JAEGER_SAMPLER_PARAM', 'JAEGER_SAMPLER_MANAGER_HOST_PORT', 'JAEGER_TAGS'])",message="spec.server.env: JAEGER_SERVICE_NAME, JAEGER_AGENT_HOST, JAEGER_AGENT_PORT, JAEGER_ENDPOINT, JAEGER_AUTH_TOKEN, JAEGER_USER, JAEGER_PASSWORD, JAEGER_PROPAGATION, JAEGER_REPORTER_LOG_SPANS, JAEGER_REPORTER_MAX_QUEUE_SIZE, JAEGER_REPORTER_FLUSH_INTERVAL, JAEGER_SAMPLER_TYPE, JAEGER_SAMPLER_PARAM, JAEGER_SAMPLER_MANAGER_HOST_PORT, JAEGER_TAGS are set by the operator while spec.server.tracing.jaeger is used; set them there, or remove them from spec.server.env"
// +kubebuilder:validation:XValidation:rule="!has(self.env) || !(has(self.tracing) && has(self.tracing.otlp)) || !self.env.exists(e, e.name in ['OTEL_EXPORTER_OTLP_ENDPOINT', 'OTEL_EXPORTER_OTLP_PROTOCOL', 'OTEL_SERVICE_NAME', 'OTEL_TRACES_SAMPLER', 'OTEL_TRACES_SAMPLER_ARG', 'OTEL_EXPORTER_OTLP_HEADERS', 'OTEL_RESOURCE_ATTRIBUTES', 'K8S_POD_NAME', 'K8S_NAMESPACE_NAME'])",message="spec.server.env: OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_EXPORTER_OTLP_PROTOCOL, OTEL_SERVICE_NAME, OTEL_TRACES_SAMPLER, OTEL_TRACES_SAMPLER_ARG, OTEL_EXPORTER_OTLP_HEADERS, OTEL_RESOURCE_ATTRIBUTES, K8S_POD_NAME, K8S_NAMESPACE_NAME are set by the operator while spec.server.tracing.otlp is used; set them there, or remove them from spec.server.env"
// +kubebuilder:validation:XValidation:rule="!has(self.env) || !(has(self.performanceAnalyzer)) || !self.env.exists(e, e.name in ((has(self.performanceAnalyzer.faultVerificationTime) ? ['OTX_FAULT_VERIFICATION_TIME'] : []) + (has(self.performanceAnalyzer.slowDownMonitor) ? ['OTX_SLOW_DOWN_MONITOR'] : []) + (has(self.performanceAnalyzer.memoryMonitor) ? ['OTX_MEMORY_MONITOR'] : [])))",message="spec.server.env: OTX_FAULT_VERIFICATION_TIME, OTX_SLOW_DOWN_MONITOR, OTX_MEMORY_MONITOR are set by the operator from spec.server.performanceAnalyzer (each while its field there is set); set them there, or remove them from spec.server.env"
type ServerSpec struct {
	// env sets environment variables of the server container. At most 256
	// (a bound that keeps the reserved-name rules cheap for the API server).
	// +optional
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MaxItems=256
	// +kubebuilder:validation:XValidation:rule="self.all(e, size(e.name) > 0)",message="spec.server.env[].name must not be empty"
	Env []corev1.EnvVar `json:"env,omitempty"`

	// envFrom loads every key of the named ConfigMaps and Secrets as
	// environment variables of the server container (WebOTX: webotx.envFrom).
	// +optional
	EnvFrom *EnvFromSpec `json:"envFrom,omitempty"`

	// healthCheck turns on MicroProfile Health probes (/health/live,
	// /health/ready, /health/started) for every probe of the server container
	// that deployment.*Probe.server does not set explicitly.
	// +optional
	HealthCheck *HealthCheckSpec `json:"healthCheck,omitempty"`

	// metering tells the operator where to scrape this server's metrics.
	// +optional
	Metering *MeteringSpec `json:"metering,omitempty"`

	// application holds settings of the applications the server runs:
	// the log files the log shipper collects (see docs/logging.md).
	// +optional
	Application *ApplicationSpec `json:"application,omitempty"`
	// performanceAnalyzer configures WebOTX's performance analyzer.
	// +optional
	PerformanceAnalyzer *PerformanceAnalyzerSpec `json:"performanceAnalyzer,omitempty"`

	// sessionReplication replicates HTTP sessions between the server's pods.
	// +optional
	SessionReplication *SessionReplicationSpec `json:"sessionReplication,omitempty"`

	// fileMounts mount single keys of ConfigMaps and Secrets as files.
	// +optional
	FileMounts *FileMountsSpec `json:"fileMounts,omitempty"`

	// replacement mounts WebOTX's replacement volume at /opt/WebOTX/pv.
	// +optional
	Replacement *ReplacementSpec `json:"replacement,omitempty"`

	// persistence mounts a PersistentVolumeClaim (any image).
	// +optional
	Persistence *PersistenceSpec `json:"persistence,omitempty"`
	// tracing configures the server's tracer (Jaeger or OTLP) through
	// environment variables.
	// +optional
	Tracing *TracingSpec `json:"tracing,omitempty"`
}

// EnvFromSpec names ConfigMaps and Secrets loaded as environment variables.
type EnvFromSpec struct {
	// configMaps are names of ConfigMaps in the same namespace.
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=64
	// +kubebuilder:validation:items:MaxLength=253
	// +kubebuilder:validation:XValidation:rule="self.all(n, !format.dns1123Subdomain().validate(n).hasValue())",message="spec.server.envFrom.configMaps: every name must be a DNS-1123 subdomain (lower-case letters, digits, '-' and '.')"
	ConfigMaps []string `json:"configMaps,omitempty"`
	// secrets are names of Secrets in the same namespace.
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=64
	// +kubebuilder:validation:items:MaxLength=253
	// +kubebuilder:validation:XValidation:rule="self.all(n, !format.dns1123Subdomain().validate(n).hasValue())",message="spec.server.envFrom.secrets: every name must be a DNS-1123 subdomain (lower-case letters, digits, '-' and '.')"
	Secrets []string `json:"secrets,omitempty"`
}

// HealthCheckSpec configures MicroProfile Health probes.
type HealthCheckSpec struct {
	// scheme used by the probes: https (default, as WebOTX's metering) or
	// http, in either case.
	// +optional
	// +kubebuilder:default=https
	// +kubebuilder:validation:Enum=http;https;HTTP;HTTPS
	Scheme string `json:"scheme,omitempty"`
	// port the health endpoints listen on.
	// +optional
	// +kubebuilder:default=8443
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=65535
	Port int32 `json:"port,omitempty"`
	// readinessPath of the readiness probe; /health/ready when unset.
	// +optional
	ReadinessPath HTTPPath `json:"readinessPath,omitempty"`
	// livenessPath of the liveness probe; /health/live when unset.
	// +optional
	LivenessPath HTTPPath `json:"livenessPath,omitempty"`
	// startupPath of the startup probe; the liveness path when unset, so a
	// server without MicroProfile Health 3.1 (no /health/started) starts.
	// +optional
	StartupPath HTTPPath `json:"startupPath,omitempty"`
	// startupTimeoutSeconds is how long the server may take to start before
	// the startup probe gives up and the container is restarted; liveness is
	// not checked until then. Default 600 (JVMs start slowly).
	// +optional
	// +kubebuilder:validation:Minimum=10
	// +kubebuilder:validation:Maximum=86400
	StartupTimeoutSeconds *int32 `json:"startupTimeoutSeconds,omitempty"`
}

// MeteringSpec says where the operator scrapes this server's metrics.
type MeteringSpec struct {
	// enabled turns scraping of this server's pods on.
	// +optional
	Enabled bool `json:"enabled,omitempty"`
	// scheme of the metrics endpoint.
	// +optional
	// +kubebuilder:default=https
	// +kubebuilder:validation:Enum=http;https
	Scheme string `json:"scheme,omitempty"`
	// port of the metrics endpoint on each pod.
	// +optional
	// +kubebuilder:default=8443
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=65535
	Port int32 `json:"port,omitempty"`
	// path of the metrics endpoint; absolute.
	// +optional
	// +kubebuilder:default="/metrics"
	// +kubebuilder:validation:MaxLength=1024
	// +kubebuilder:validation:XValidation:rule="self.startsWith('/')",message="spec.server.metering.path must be an absolute path (start with '/')"
	Path string `json:"path,omitempty"`
	// serviceMonitor makes a Prometheus Operator ServiceMonitor that scrapes
	// this endpoint (see docs/monitoring.md).
	// +optional
	ServiceMonitor *ServiceMonitorSpec `json:"serviceMonitor,omitempty"`
}

// DeploymentSpec describes the pods that run the server.
//
// +kubebuilder:validation:XValidation:rule="!has(self.shutdown) || !has(self.shutdown.drainSeconds) || (has(self.terminationGracePeriodSeconds) ? self.terminationGracePeriodSeconds : 30) > self.shutdown.drainSeconds",message="spec.deployment.terminationGracePeriodSeconds (30 when unset) must be greater than spec.deployment.shutdown.drainSeconds"
// +kubebuilder:validation:XValidation:rule="!has(self.initContainers) || self.initContainers.all(c, !(c.name in ['server', 'log-shipper', 'wait-for']))",message="spec.deployment.initContainers[].name: server, log-shipper and wait-for are the operator's container names"
// +kubebuilder:validation:XValidation:rule="!has(self.sidecars) || self.sidecars.all(c, !(c.name in ['server', 'log-shipper', 'wait-for']))",message="spec.deployment.sidecars[].name: server, log-shipper and wait-for are the operator's container names"
// +kubebuilder:validation:XValidation:rule="!has(self.volumes) || self.volumes.all(v, !v.name.startsWith('appserver-'))",message="spec.deployment.volumes[].name: names starting with appserver- are reserved for the operator's volumes"
// +kubebuilder:validation:XValidation:rule="!has(self.livenessProbe) || !has(self.livenessProbe.server) || !has(self.livenessProbe.server.successThreshold) || self.livenessProbe.server.successThreshold <= 1",message="spec.deployment.livenessProbe.server.successThreshold must be 1"
// +kubebuilder:validation:XValidation:rule="!has(self.startupProbe) || !has(self.startupProbe.server) || !has(self.startupProbe.server.successThreshold) || self.startupProbe.server.successThreshold <= 1",message="spec.deployment.startupProbe.server.successThreshold must be 1"
type DeploymentSpec struct {
	// replicas is the number of pods. Ignored while the horizontal pod
	// autoscaler is enabled. Exposed as the scale subresource.
	// +optional
	// +kubebuilder:default=1
	// +kubebuilder:validation:Minimum=0
	Replicas *int32 `json:"replicas,omitempty"`

	// image of the server container.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=1024
	// +kubebuilder:validation:XValidation:rule="self.trim() == self",message="spec.deployment.image must not start or end with white space"
	Image string `json:"image"`

	// imagePullPolicy of the server container.
	// +optional
	// +kubebuilder:validation:Enum=Always;IfNotPresent;Never
	ImagePullPolicy corev1.PullPolicy `json:"imagePullPolicy,omitempty"`

	// imagePullSecrets name Secrets used to pull the image.
	// +optional
	ImagePullSecrets []corev1.LocalObjectReference `json:"imagePullSecrets,omitempty"`

	// annotations are added to the pod template only.
	// +optional
	// +kubebuilder:validation:MaxProperties=64
	// +kubebuilder:validation:XValidation:rule="self.all(k, k.indexOf('/') <= 253 && k.matches('^([A-Za-z0-9]([-A-Za-z0-9]*[A-Za-z0-9])?(\\\\.[A-Za-z0-9]([-A-Za-z0-9]*[A-Za-z0-9])?)*/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$'))",message="spec.deployment.annotations: every key must be a valid annotation key ([prefix/]name, name at most 63 characters of alphanumerics, '-', '_' or '.', prefix a DNS subdomain)"
	Annotations map[string]string `json:"annotations,omitempty"`

	// hostname of the pods.
	// +optional
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:XValidation:rule="size(self) == 0 || !format.dns1123Label().validate(self).hasValue()",message="spec.deployment.hostname must be a DNS-1123 label (lower-case letters, digits and '-', starting and ending with a letter or digit)"
	Hostname string `json:"hostname,omitempty"`

	// subdomain of the pods.
	// +optional
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:XValidation:rule="size(self) == 0 || !format.dns1123Label().validate(self).hasValue()",message="spec.deployment.subdomain must be a DNS-1123 label (lower-case letters, digits and '-', starting and ending with a letter or digit)"
	Subdomain string `json:"subdomain,omitempty"`

	// serviceAccountName the pods run as. Defaults to the namespace's default.
	// +optional
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:XValidation:rule="size(self) == 0 || !format.dns1123Subdomain().validate(self).hasValue()",message="spec.deployment.serviceAccountName must be a DNS-1123 subdomain (lower-case letters, digits, '-' and '.')"
	ServiceAccountName string `json:"serviceAccountName,omitempty"`

	// automountServiceAccountToken says whether the service account token is
	// mounted into the pods.
	// +optional
	AutomountServiceAccountToken *bool `json:"automountServiceAccountToken,omitempty"`

	// dns sets the pods' DNS policy and configuration.
	// +optional
	DNS *DNSSpec `json:"dns,omitempty"`

	// hostAliases are added to the pods' /etc/hosts.
	// +optional
	// +kubebuilder:validation:MaxItems=16
	// +kubebuilder:validation:XValidation:rule="self.all(h, has(h.ip) && isIP(h.ip))",message="spec.deployment.hostAliases[].ip must be an IP address"
	HostAliases []corev1.HostAlias `json:"hostAliases,omitempty"`

	// nodeSelector constrains the nodes the pods run on.
	// +optional
	// +kubebuilder:validation:MaxProperties=64
	NodeSelector map[string]string `json:"nodeSelector,omitempty"`

	// tolerations of the pods.
	// +optional
	// +kubebuilder:validation:MaxItems=64
	// +kubebuilder:validation:XValidation:rule="self.all(t, !has(t.operator) || t.operator in ['Exists', 'Equal'])",message="spec.deployment.tolerations[].operator must be Exists or Equal"
	// +kubebuilder:validation:XValidation:rule="self.all(t, !has(t.effect) || t.effect in ['NoSchedule', 'PreferNoSchedule', 'NoExecute'])",message="spec.deployment.tolerations[].effect must be NoSchedule, PreferNoSchedule or NoExecute"
	// +kubebuilder:validation:XValidation:rule="self.all(t, !has(t.value) || size(t.value) == 0 || !has(t.operator) || t.operator != 'Exists')",message="spec.deployment.tolerations[].value must be empty when operator is Exists"
	// +kubebuilder:validation:XValidation:rule="self.all(t, (has(t.key) && size(t.key) > 0) || (has(t.operator) && t.operator == 'Exists'))",message="spec.deployment.tolerations[].operator must be Exists when key is empty"
	// +kubebuilder:validation:XValidation:rule="self.all(t, !has(t.tolerationSeconds) || (has(t.effect) && t.effect == 'NoExecute'))",message="spec.deployment.tolerations[].tolerationSeconds needs effect NoExecute"
	Tolerations []corev1.Toleration `json:"tolerations,omitempty"`

	// affinity of the pods.
	// +optional
	Affinity *corev1.Affinity `json:"affinity,omitempty"`

	// topologySpreadConstraints of the pods. An empty labelSelector selects
	// this server's own pods.
	// +optional
	// +kubebuilder:validation:MaxItems=16
	// +kubebuilder:validation:XValidation:rule="self.all(c, size(c.topologyKey) > 0)",message="spec.deployment.topologySpreadConstraints[].topologyKey must not be empty"
	// +kubebuilder:validation:XValidation:rule="self.all(c, c.maxSkew > 0)",message="spec.deployment.topologySpreadConstraints[].maxSkew must be greater than 0"
	// +kubebuilder:validation:XValidation:rule="self.all(c, c.whenUnsatisfiable in ['DoNotSchedule', 'ScheduleAnyway'])",message="spec.deployment.topologySpreadConstraints[].whenUnsatisfiable must be DoNotSchedule or ScheduleAnyway"
	TopologySpreadConstraints []corev1.TopologySpreadConstraint `json:"topologySpreadConstraints,omitempty"`

	// priorityClassName of the pods.
	// +optional
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:XValidation:rule="size(self) == 0 || !format.dns1123Subdomain().validate(self).hasValue()",message="spec.deployment.priorityClassName must be a DNS-1123 subdomain (lower-case letters, digits, '-' and '.')"
	PriorityClassName string `json:"priorityClassName,omitempty"`

	// strategy of the Deployment's rollouts.
	// +optional
	// +kubebuilder:validation:XValidation:rule="!has(self.type) || self.type in ['RollingUpdate', 'Recreate']",message="spec.deployment.strategy.type must be RollingUpdate or Recreate"
	// +kubebuilder:validation:XValidation:rule="!has(self.rollingUpdate) || !has(self.type) || self.type == 'RollingUpdate'",message="spec.deployment.strategy.rollingUpdate is only allowed when spec.deployment.strategy.type is RollingUpdate"
	// +kubebuilder:validation:XValidation:rule="!has(self.rollingUpdate) || ((!has(self.rollingUpdate.maxSurge) || (type(self.rollingUpdate.maxSurge) == int ? int(self.rollingUpdate.maxSurge) >= 0 : string(self.rollingUpdate.maxSurge).matches('^[0-9]+%$'))) && (!has(self.rollingUpdate.maxUnavailable) || (type(self.rollingUpdate.maxUnavailable) == int ? int(self.rollingUpdate.maxUnavailable) >= 0 : string(self.rollingUpdate.maxUnavailable).matches('^([0-9]|[1-9][0-9]|100)%$'))))",message="spec.deployment.strategy.rollingUpdate: maxSurge and maxUnavailable must be non-negative numbers or percentages (maxUnavailable at most 100%)"
	// +kubebuilder:validation:XValidation:rule="!has(self.rollingUpdate) || !has(self.rollingUpdate.maxSurge) || !has(self.rollingUpdate.maxUnavailable) || !(string(self.rollingUpdate.maxSurge) in ['0', '0%'] && string(self.rollingUpdate.maxUnavailable) in ['0', '0%'])",message="spec.deployment.strategy.rollingUpdate: maxSurge and maxUnavailable may not both be 0"
	Strategy *appsv1.DeploymentStrategy `json:"strategy,omitempty"`

	// progressDeadlineSeconds after which a stalled rollout is reported as
	// failed (Degraded, reason ProgressDeadlineExceeded).
	// +optional
	// +kubebuilder:validation:Minimum=1
	ProgressDeadlineSeconds *int32 `json:"progressDeadlineSeconds,omitempty"`

	// terminationGracePeriodSeconds given to the server to stop.
	// +optional
	// +kubebuilder:validation:Minimum=0
	TerminationGracePeriodSeconds *int64 `json:"terminationGracePeriodSeconds,omitempty"`

	// timeZone of the server container, passed as the TZ environment variable
	// (for example Asia/Tokyo).
	// +optional
	// +kubebuilder:validation:MaxLength=64
	// +kubebuilder:validation:Pattern=`^[A-Za-z0-9_+\-/:.]+$`
	TimeZone string `json:"timeZone,omitempty"`

	// resources of each container.
	// +optional
	Resources *ContainerResources `json:"resources,omitempty"`

	// readinessProbe of each container. Overrides server.healthCheck.
	// +optional
	ReadinessProbe *ContainerProbe `json:"readinessProbe,omitempty"`

	// livenessProbe of each container. Overrides server.healthCheck.
	// +optional
	LivenessProbe *ContainerProbe `json:"livenessProbe,omitempty"`

	// startupProbe of each container. Overrides server.healthCheck.
	// +optional
	StartupProbe *ContainerProbe `json:"startupProbe,omitempty"`

	// securityContext of the pod and the server container. When unset, both
	// meet the Pod Security "restricted" profile.
	// +optional
	SecurityContext *SecurityContextSpec `json:"securityContext,omitempty"`

	// logShipper configures the log-shipper sidecar that ships the files of
	// server.application.logs (WebOTX: deployment.logstash; docs/logging.md).
	// +optional
	LogShipper *LogShipperSpec `json:"logShipper,omitempty"`
	// restartOnConfigChange rolls the pods when the data of a ConfigMap or
	// Secret their template references changes; true when unset.
	// +optional
	// +kubebuilder:default=true
	RestartOnConfigChange *bool `json:"restartOnConfigChange,omitempty"`

	// shutdown drains a pod before its server stops.
	// +optional
	Shutdown *ShutdownSpec `json:"shutdown,omitempty"`

	// lifecycle hooks of each container.
	// +optional
	Lifecycle *ContainerLifecycle `json:"lifecycle,omitempty"`

	// volumes added to the pods (mount them with volumeMounts.server, or in
	// initContainers and sidecars). Names starting with appserver- are the
	// operator's.
	// +optional
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MaxItems=64
	// +kubebuilder:validation:XValidation:rule="self.all(v, [has(v.hostPath), has(v.emptyDir), has(v.gcePersistentDisk), has(v.awsElasticBlockStore), has(v.gitRepo), has(v.secret), has(v.nfs), has(v.iscsi), has(v.glusterfs), has(v.persistentVolumeClaim), has(v.rbd), has(v.flexVolume), has(v.cinder), has(v.cephfs), has(v.flocker), has(v.downwardAPI), has(v.fc), has(v.azureFile), has(v.configMap), has(v.vsphereVolume), has(v.quobyte), has(v.azureDisk), has(v.photonPersistentDisk), has(v.projected), has(v.portworxVolume), has(v.scaleIO), has(v.storageos), has(v.csi), has(v.ephemeral), has(v.image)].exists_one(b, b))",message="spec.deployment.volumes[]: every volume needs exactly one source (emptyDir, configMap, secret, persistentVolumeClaim, ...)"
	Volumes []corev1.Volume `json:"volumes,omitempty"`

	// volumeMounts of each container, in addition to the operator's.
	// +optional
	VolumeMounts *ContainerVolumeMounts `json:"volumeMounts,omitempty"`

	// initContainers run, in order, before the server (after the operator's
	// wait-for). They get the restricted security context when they set none.
	// +optional
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MaxItems=16
	// +kubebuilder:validation:XValidation:rule="self.all(c, has(c.image) && size(c.image) > 0)",message="spec.deployment.initContainers[].image is required"
	InitContainers []corev1.Container `json:"initContainers,omitempty"`

	// sidecars run next to the server for the pod's whole life (native
	// sidecars: init containers with restartPolicy Always, started before
	// the server and stopped after it). They get the restricted security
	// context when they set none.
	// +optional
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MaxItems=16
	// +kubebuilder:validation:XValidation:rule="self.all(c, has(c.image) && size(c.image) > 0)",message="spec.deployment.sidecars[].image is required"
	Sidecars []corev1.Container `json:"sidecars,omitempty"`

	// command of each container; replaces the image's entrypoint.
	// +optional
	Command *ContainerCommand `json:"command,omitempty"`

	// args of each container; replaces the image's arguments.
	// +optional
	Args *ContainerCommand `json:"args,omitempty"`

	// ports of the server container that the Service does not expose (a
	// JMX port, say). A name or number already used by spec.service.ports
	// is rejected by the API server when the Deployment is applied.
	// +optional
	// +listType=map
	// +listMapKey=containerPort
	// +listMapKey=protocol
	// +kubebuilder:validation:MaxItems=32
	// +kubebuilder:validation:XValidation:rule="self.all(p, p.containerPort >= 1 && p.containerPort <= 65535)",message="spec.deployment.ports[].containerPort must be 1-65535"
	Ports []corev1.ContainerPort `json:"ports,omitempty"`
}

// DNSSpec sets the pods' DNS policy and configuration.
//
// +kubebuilder:validation:XValidation:rule="!has(self.dnsPolicy) || self.dnsPolicy != 'None' || (has(self.dnsConfig) && has(self.dnsConfig.nameservers) && size(self.dnsConfig.nameservers) > 0)",message="spec.deployment.dns.dnsConfig.nameservers needs at least one address when dnsPolicy is None"
// +kubebuilder:validation:XValidation:rule="!has(self.dnsConfig) || !has(self.dnsConfig.nameservers) || size(self.dnsConfig.nameservers) <= 3",message="spec.deployment.dns.dnsConfig.nameservers: at most 3 addresses"
// +kubebuilder:validation:XValidation:rule="!has(self.dnsConfig) || !has(self.dnsConfig.searches) || size(self.dnsConfig.searches) <= 32",message="spec.deployment.dns.dnsConfig.searches: at most 32 domains"
type DNSSpec struct {
	// dnsPolicy of the pods.
	// +optional
	// +kubebuilder:validation:Enum=ClusterFirstWithHostNet;ClusterFirst;Default;None
	DNSPolicy corev1.DNSPolicy `json:"dnsPolicy,omitempty"`
	// dnsConfig of the pods.
	// +optional
	DNSConfig *corev1.PodDNSConfig `json:"dnsConfig,omitempty"`
}

// ContainerResources holds compute resources per container.
type ContainerResources struct {
	// server container's requests and limits.
	// +optional
	// +kubebuilder:validation:XValidation:rule="!has(self.claims)",message="spec.deployment.resources.server.claims is not supported"
	Server *corev1.ResourceRequirements `json:"server,omitempty"`
	// logShipper container's requests and limits.
	// +optional
	// +kubebuilder:validation:XValidation:rule="!has(self.claims)",message="spec.deployment.resources.logShipper.claims is not supported"
	LogShipper *corev1.ResourceRequirements `json:"logShipper,omitempty"`
}

// ContainerProbe holds a probe per container.
type ContainerProbe struct {
	// server container's probe.
	// +optional
	// +kubebuilder:validation:XValidation:rule="(!has(self.timeoutSeconds) || self.timeoutSeconds >= 0) && (!has(self.periodSeconds) || self.periodSeconds >= 0) && (!has(self.successThreshold) || self.successThreshold >= 0) && (!has(self.failureThreshold) || self.failureThreshold >= 0) && (!has(self.initialDelaySeconds) || self.initialDelaySeconds >= 0)",message="probes: timeoutSeconds, periodSeconds, successThreshold, failureThreshold and initialDelaySeconds must not be negative"
	// +kubebuilder:validation:XValidation:rule="(!has(self.httpGet) || type(self.httpGet.port) != int || (self.httpGet.port >= 1 && self.httpGet.port <= 65535)) && (!has(self.tcpSocket) || type(self.tcpSocket.port) != int || (self.tcpSocket.port >= 1 && self.tcpSocket.port <= 65535))",message="probes: httpGet.port and tcpSocket.port must be 1-65535 or a port name"
	// +kubebuilder:validation:XValidation:rule="has(self.httpGet) || has(self.tcpSocket) || has(self.exec) || has(self.grpc)",message="probes need a handler: httpGet, tcpSocket, exec or grpc"
	Server *corev1.Probe `json:"server,omitempty"`
	// logShipper container's probe.
	// +optional
	// +kubebuilder:validation:XValidation:rule="(!has(self.timeoutSeconds) || self.timeoutSeconds >= 0) && (!has(self.periodSeconds) || self.periodSeconds >= 0) && (!has(self.successThreshold) || self.successThreshold >= 0) && (!has(self.failureThreshold) || self.failureThreshold >= 0) && (!has(self.initialDelaySeconds) || self.initialDelaySeconds >= 0)",message="probes: timeoutSeconds, periodSeconds, successThreshold, failureThreshold and initialDelaySeconds must not be negative"
	// +kubebuilder:validation:XValidation:rule="(!has(self.httpGet) || type(self.httpGet.port) != int || (self.httpGet.port >= 1 && self.httpGet.port <= 65535)) && (!has(self.tcpSocket) || type(self.tcpSocket.port) != int || (self.tcpSocket.port >= 1 && self.tcpSocket.port <= 65535))",message="probes: httpGet.port and tcpSocket.port must be 1-65535 or a port name"
	// +kubebuilder:validation:XValidation:rule="has(self.httpGet) || has(self.tcpSocket) || has(self.exec) || has(self.grpc)",message="probes need a handler: httpGet, tcpSocket, exec or grpc"
	LogShipper *corev1.Probe `json:"logShipper,omitempty"`
}

// SecurityContextSpec holds the pod's and the server container's security context.
type SecurityContextSpec struct {
	// pod security context. Replaces the restricted default as a whole.
	// +optional
	Pod *corev1.PodSecurityContext `json:"pod,omitempty"`
	// server container security context. Replaces the restricted default as a whole.
	// +optional
	Server *corev1.SecurityContext `json:"server,omitempty"`
}

// HorizontalPodAutoscalerSpec follows WebOTX's horizontalPodAutoscaler block.
//
// +kubebuilder:validation:XValidation:rule="!has(self.enabled) || !self.enabled || has(self.maxReplicas)",message="spec.horizontalPodAutoscaler.maxReplicas is required when the autoscaler is enabled"
// +kubebuilder:validation:XValidation:rule="!has(self.maxReplicas) || !has(self.minReplicas) || self.minReplicas <= self.maxReplicas",message="spec.horizontalPodAutoscaler.minReplicas must be less than or equal to maxReplicas"
// +kubebuilder:validation:XValidation:rule="!has(self.enabled) || !self.enabled || (has(self.podMetrics) && size(self.podMetrics) > 0) || (has(self.resourceMetrics) && (has(self.resourceMetrics.cpuAverageUtilization) || has(self.resourceMetrics.cpuAverageValue) || has(self.resourceMetrics.memoryAverageUtilization) || has(self.resourceMetrics.memoryAverageValue)))",message="spec.horizontalPodAutoscaler needs at least one metric (resourceMetrics or podMetrics) when enabled"
type HorizontalPodAutoscalerSpec struct {
	// enabled creates the HorizontalPodAutoscaler.
	// +optional
	Enabled bool `json:"enabled,omitempty"`
	// minReplicas is the lower limit of replicas.
	// +optional
	// +kubebuilder:default=1
	// +kubebuilder:validation:Minimum=1
	MinReplicas *int32 `json:"minReplicas,omitempty"`
	// maxReplicas is the upper limit of replicas. Required when enabled.
	// +optional
	// +kubebuilder:validation:Minimum=1
	MaxReplicas *int32 `json:"maxReplicas,omitempty"`
	// resourceMetrics scale on the pods' CPU and memory.
	// +optional
	ResourceMetrics *ResourceMetrics `json:"resourceMetrics,omitempty"`
	// podMetrics scale on custom per-pod metrics (averaged over the pods).
	// +optional
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MaxItems=8
	PodMetrics []PodMetric `json:"podMetrics,omitempty"`
	// behavior configures scaling up and down.
	// +optional
	// +kubebuilder:validation:XValidation:rule="!has(self.scaleUp) || ((!has(self.scaleUp.stabilizationWindowSeconds) || (self.scaleUp.stabilizationWindowSeconds >= 0 && self.scaleUp.stabilizationWindowSeconds <= 3600)) && (!has(self.scaleUp.selectPolicy) || self.scaleUp.selectPolicy in ['Max', 'Min', 'Disabled']) && (!has(self.scaleUp.policies) || self.scaleUp.policies.all(p, p.type in ['Pods', 'Percent'] && p.value > 0 && p.periodSeconds > 0 && p.periodSeconds <= 1800)))",message="spec.horizontalPodAutoscaler.behavior.scaleUp: stabilizationWindowSeconds must be 0-3600, selectPolicy Max, Min or Disabled, policies of type Pods or Percent with a positive value and periodSeconds 1-1800"
	// +kubebuilder:validation:XValidation:rule="!has(self.scaleDown) || ((!has(self.scaleDown.stabilizationWindowSeconds) || (self.scaleDown.stabilizationWindowSeconds >= 0 && self.scaleDown.stabilizationWindowSeconds <= 3600)) && (!has(self.scaleDown.selectPolicy) || self.scaleDown.selectPolicy in ['Max', 'Min', 'Disabled']) && (!has(self.scaleDown.policies) || self.scaleDown.policies.all(p, p.type in ['Pods', 'Percent'] && p.value > 0 && p.periodSeconds > 0 && p.periodSeconds <= 1800)))",message="spec.horizontalPodAutoscaler.behavior.scaleDown: stabilizationWindowSeconds must be 0-3600, selectPolicy Max, Min or Disabled, policies of type Pods or Percent with a positive value and periodSeconds 1-1800"
	Behavior *autoscalingv2.HorizontalPodAutoscalerBehavior `json:"behavior,omitempty"`
}

// ResourceMetrics are targets for CPU and memory. Utilization is a percentage
// of the requests; value is an absolute quantity. Set at most one per resource.
//
// +kubebuilder:validation:XValidation:rule="!(has(self.cpuAverageUtilization) && has(self.cpuAverageValue))",message="spec.horizontalPodAutoscaler.resourceMetrics: set cpuAverageUtilization or cpuAverageValue, not both"
// +kubebuilder:validation:XValidation:rule="!(has(self.memoryAverageUtilization) && has(self.memoryAverageValue))",message="spec.horizontalPodAutoscaler.resourceMetrics: set memoryAverageUtilization or memoryAverageValue, not both"
type ResourceMetrics struct {
	// cpuAverageUtilization is the target CPU use, percent of requests.
	// +optional
	// +kubebuilder:validation:Minimum=1
	CPUAverageUtilization *int32 `json:"cpuAverageUtilization,omitempty"`
	// cpuAverageValue is the target CPU use per pod.
	// +optional
	// +kubebuilder:validation:XValidation:rule="quantity(string(self)).isGreaterThan(quantity('0'))",message="spec.horizontalPodAutoscaler.resourceMetrics.cpuAverageValue must be positive"
	CPUAverageValue *resource.Quantity `json:"cpuAverageValue,omitempty"`
	// memoryAverageUtilization is the target memory use, percent of requests.
	// +optional
	// +kubebuilder:validation:Minimum=1
	MemoryAverageUtilization *int32 `json:"memoryAverageUtilization,omitempty"`
	// memoryAverageValue is the target memory use per pod.
	// +optional
	// +kubebuilder:validation:XValidation:rule="quantity(string(self)).isGreaterThan(quantity('0'))",message="spec.horizontalPodAutoscaler.resourceMetrics.memoryAverageValue must be positive"
	MemoryAverageValue *resource.Quantity `json:"memoryAverageValue,omitempty"`
}

// PodMetric is a target for a custom per-pod metric.
type PodMetric struct {
	// name of the metric.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:XValidation:rule="self != '.' && self != '..' && !self.contains('/') && !self.contains('%')",message="spec.horizontalPodAutoscaler.podMetrics[].name must not contain '/' or '%' nor be '.' or '..'"
	Name string `json:"name"`
	// averageValue is the target value averaged over the pods; positive.
	// +required
	// +kubebuilder:validation:XValidation:rule="quantity(string(self)).isGreaterThan(quantity('0'))",message="spec.horizontalPodAutoscaler.podMetrics[].averageValue must be positive"
	AverageValue resource.Quantity `json:"averageValue"`
}

// ServiceSpec describes the Service that exposes the server.
//
// +kubebuilder:validation:XValidation:rule="(has(self.type) && self.type in ['NodePort', 'LoadBalancer']) || !has(self.ports) || self.ports.all(p, !has(p.nodePort))",message="spec.service.ports[].nodePort is only allowed when spec.service.type is NodePort or LoadBalancer"
// +kubebuilder:validation:XValidation:rule="(has(self.type) && self.type in ['NodePort', 'LoadBalancer']) || !has(self.externalTrafficPolicy)",message="spec.service.externalTrafficPolicy is only allowed when spec.service.type is NodePort or LoadBalancer"
// +kubebuilder:validation:XValidation:rule="(has(self.type) && self.type == 'LoadBalancer') || (!has(self.loadBalancerIP) && !has(self.loadBalancerSourceRanges))",message="spec.service.loadBalancerIP and loadBalancerSourceRanges are only allowed when spec.service.type is LoadBalancer"
// +kubebuilder:validation:XValidation:rule="!has(self.sessionAffinityConfig) || (has(self.sessionAffinity) && self.sessionAffinity == 'ClientIP')",message="spec.service.sessionAffinityConfig is only allowed when spec.service.sessionAffinity is ClientIP"
type ServiceSpec struct {
	// type of the Service.
	// +optional
	// +kubebuilder:default=ClusterIP
	// +kubebuilder:validation:Enum=ClusterIP;NodePort;LoadBalancer
	Type corev1.ServiceType `json:"type,omitempty"`

	// ports the Service exposes. Defaults to http 8080 and https 8443 (WebOTX's).
	// +optional
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=32
	// +kubebuilder:default={{name: http, port: 8080}, {name: https, port: 8443}}
	// +kubebuilder:validation:XValidation:rule="self.all(p, self.exists_one(q, q.name == p.name))",message="spec.service.ports: port names must be unique"
	// +kubebuilder:validation:XValidation:rule="self.all(p, self.filter(q, q.port == p.port && (has(q.protocol) ? q.protocol : 'TCP') == (has(p.protocol) ? p.protocol : 'TCP')).size() == 1)",message="spec.service.ports: no two ports may have the same port and protocol"
	// +kubebuilder:validation:XValidation:rule="self.all(p, !has(p.nodePort) || self.filter(q, has(q.nodePort) && q.nodePort == p.nodePort && (has(q.protocol) ? q.protocol : 'TCP') == (has(p.protocol) ? p.protocol : 'TCP')).size() == 1)",message="spec.service.ports: no two ports may have the same nodePort and protocol"
	// +kubebuilder:validation:XValidation:rule="self.all(p, !has(p.targetPort) || type(p.targetPort) == int || self.exists(q, q.name == p.targetPort && (!has(q.targetPort) || type(q.targetPort) == int)))",message="spec.service.ports[].targetPort: a name must be the name of another port whose targetPort is a number"
	Ports []ServicePort `json:"ports,omitempty"`

	// sessionAffinity of the Service.
	// +optional
	// +kubebuilder:validation:Enum=None;ClientIP
	SessionAffinity corev1.ServiceAffinity `json:"sessionAffinity,omitempty"`

	// sessionAffinityConfig of the Service; needs sessionAffinity ClientIP.
	// +optional
	// +kubebuilder:validation:XValidation:rule="!has(self.clientIP) || !has(self.clientIP.timeoutSeconds) || (self.clientIP.timeoutSeconds >= 1 && self.clientIP.timeoutSeconds <= 86400)",message="spec.service.sessionAffinityConfig.clientIP.timeoutSeconds must be 1-86400"
	SessionAffinityConfig *corev1.SessionAffinityConfig `json:"sessionAffinityConfig,omitempty"`

	// externalTrafficPolicy of a NodePort or LoadBalancer Service.
	// +optional
	// +kubebuilder:validation:Enum=Cluster;Local
	ExternalTrafficPolicy corev1.ServiceExternalTrafficPolicy `json:"externalTrafficPolicy,omitempty"`

	// loadBalancerIP asked of the cloud provider (LoadBalancer only).
	// +optional
	// +kubebuilder:validation:MaxLength=45
	// +kubebuilder:validation:XValidation:rule="isIP(self)",message="spec.service.loadBalancerIP must be an IP address"
	LoadBalancerIP string `json:"loadBalancerIP,omitempty"`

	// loadBalancerSourceRanges restrict client addresses (LoadBalancer only).
	// +optional
	// +kubebuilder:validation:MaxItems=64
	// +kubebuilder:validation:items:MaxLength=49
	// +kubebuilder:validation:XValidation:rule="self.all(r, isCIDR(r) && cidr(r) == cidr(r).masked())",message="spec.service.loadBalancerSourceRanges: every entry must be a CIDR without bits set beyond the prefix length (for example 10.0.0.0/8)"
	LoadBalancerSourceRanges []string `json:"loadBalancerSourceRanges,omitempty"`

	// externalIPs routed to the Service.
	// +optional
	// +kubebuilder:validation:MaxItems=64
	// +kubebuilder:validation:items:MaxLength=45
	// +kubebuilder:validation:XValidation:rule="self.all(a, isIP(a) && !ip(a).isUnspecified() && !ip(a).isLoopback() && !ip(a).isLinkLocalUnicast() && !ip(a).isLinkLocalMulticast())",message="spec.service.externalIPs: every entry must be an IP address, not unspecified, loopback or link-local"
	ExternalIPs []string `json:"externalIPs,omitempty"`

	// annotations of the Service only (for example cloud load-balancer settings).
	// +optional
	// +kubebuilder:validation:MaxProperties=64
	// +kubebuilder:validation:XValidation:rule="self.all(k, k.indexOf('/') <= 253 && k.matches('^([A-Za-z0-9]([-A-Za-z0-9]*[A-Za-z0-9])?(\\\\.[A-Za-z0-9]([-A-Za-z0-9]*[A-Za-z0-9])?)*/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$'))",message="spec.service.annotations: every key must be a valid annotation key ([prefix/]name, name at most 63 characters of alphanumerics, '-', '_' or '.', prefix a DNS subdomain)"
	Annotations map[string]string `json:"annotations,omitempty"`
}

// ServicePort is one port of the Service.
type ServicePort struct {
	// name of the port; unique within the Service. Also names the container port.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=15
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
	// +kubebuilder:validation:XValidation:rule="self.matches('[a-z]') && !self.contains('--')",message="spec.service.ports[].name names the container port too: it needs a letter and no '--'"
	Name string `json:"name"`
	// protocol of the port.
	// +optional
	// +kubebuilder:default=TCP
	// +kubebuilder:validation:Enum=TCP;UDP;SCTP
	Protocol corev1.Protocol `json:"protocol,omitempty"`
	// port the Service listens on.
	// +required
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=65535
	Port int32 `json:"port"`
	// targetPort on the server container: a number (defaults to port), or
	// the name of another entry of spec.service.ports whose container port
	// it reuses (WebOTX allows both).
	// +optional
	// +kubebuilder:validation:XIntOrString
	// +kubebuilder:validation:MaxLength=15
	// +kubebuilder:validation:XValidation:rule="type(self) != int || (self >= 1 && self <= 65535)",message="spec.service.ports[].targetPort must be a port number 1-65535 or a port name"
	TargetPort *intstr.IntOrString `json:"targetPort,omitempty"`
	// appProtocol of the port (for example http, https, kubernetes.io/h2c).
	// +optional
	// +kubebuilder:validation:MaxLength=316
	// +kubebuilder:validation:XValidation:rule="self.indexOf('/') <= 253 && self.matches('^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$')",message="spec.service.ports[].appProtocol must be a qualified name such as http or kubernetes.io/h2c"
	AppProtocol *string `json:"appProtocol,omitempty"`
	// nodePort for NodePort and LoadBalancer Services; allocated when unset.
	// The cluster's node port range (often 30000-32767) is the API server's
	// to enforce: a port outside it makes the server Degraded.
	// +optional
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=65535
	NodePort *int32 `json:"nodePort,omitempty"`
}

// IngressSpec exposes one port of the Service through an Ingress.
type IngressSpec struct {
	// enabled creates the Ingress.
	// +optional
	Enabled bool `json:"enabled,omitempty"`
	// className of the IngressClass (for example alb or nginx).
	// +optional
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:XValidation:rule="!format.dns1123Subdomain().validate(self).hasValue()",message="spec.ingress.className must be a DNS-1123 subdomain (lower-case letters, digits, '-' and '.')"
	ClassName *string `json:"className,omitempty"`
	// host the Ingress answers for; all hosts when unset.
	// +optional
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:XValidation:rule="self.matches('^(\\\\*\\\\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$')",message="spec.ingress.host must be a DNS name (lower-case, optionally starting with '*.')"
	Host string `json:"host,omitempty"`
	// path routed to the server; absolute.
	// +optional
	// +kubebuilder:default="/"
	// +kubebuilder:validation:MaxLength=1024
	// +kubebuilder:validation:XValidation:rule="self.startsWith('/')",message="spec.ingress.path must be an absolute path (start with '/')"
	// +kubebuilder:validation:XValidation:rule="!self.contains('//')",message="spec.ingress.path must not contain '//'"
	Path string `json:"path,omitempty"`
	// pathType of the rule.
	// +optional
	// +kubebuilder:default=Prefix
	// +kubebuilder:validation:Enum=Exact;Prefix;ImplementationSpecific
	PathType networkingv1.PathType `json:"pathType,omitempty"`
	// port names the service port the Ingress sends traffic to.
	// +optional
	// +kubebuilder:default=http
	Port string `json:"port,omitempty"`
	// annotations of the Ingress only (for example alb.ingress.kubernetes.io/scheme).
	// +optional
	// +kubebuilder:validation:MaxProperties=64
	// +kubebuilder:validation:XValidation:rule="self.all(k, k.indexOf('/') <= 253 && k.matches('^([A-Za-z0-9]([-A-Za-z0-9]*[A-Za-z0-9])?(\\\\.[A-Za-z0-9]([-A-Za-z0-9]*[A-Za-z0-9])?)*/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$'))",message="spec.ingress.annotations: every key must be a valid annotation key ([prefix/]name, name at most 63 characters of alphanumerics, '-', '_' or '.', prefix a DNS subdomain)"
	Annotations map[string]string `json:"annotations,omitempty"`
	// tls terminates TLS for hosts with a certificate from a Secret.
	// +optional
	// +kubebuilder:validation:MaxItems=16
	TLS []networkingv1.IngressTLS `json:"tls,omitempty"`
}

// PodDisruptionBudgetSpec sets exactly one of minAvailable and maxUnavailable.
//
// +kubebuilder:validation:XValidation:rule="(has(self.enabled) && !self.enabled) || (has(self.minAvailable) != has(self.maxUnavailable))",message="spec.podDisruptionBudget: set exactly one of minAvailable and maxUnavailable"
type PodDisruptionBudgetSpec struct {
	// enabled creates the PodDisruptionBudget; true when unset.
	// +optional
	// +kubebuilder:default=true
	Enabled *bool `json:"enabled,omitempty"`
	// minAvailable pods (a number or a percentage).
	// +optional
	// +kubebuilder:validation:XIntOrString
	// +kubebuilder:validation:XValidation:rule="type(self) == int ? self >= 0 : self.matches('^([0-9]|[1-9][0-9]|100)%$')",message="spec.podDisruptionBudget.minAvailable must be a non-negative number or a percentage from 0% to 100%"
	MinAvailable *intstr.IntOrString `json:"minAvailable,omitempty"`
	// maxUnavailable pods (a number or a percentage).
	// +optional
	// +kubebuilder:validation:XIntOrString
	// +kubebuilder:validation:XValidation:rule="type(self) == int ? self >= 0 : self.matches('^([0-9]|[1-9][0-9]|100)%$')",message="spec.podDisruptionBudget.maxUnavailable must be a non-negative number or a percentage from 0% to 100%"
	MaxUnavailable *intstr.IntOrString `json:"maxUnavailable,omitempty"`
}

// ApplicationServerStatus is what the operator observed.
type ApplicationServerStatus struct {
	// observedGeneration is the generation last reconciled successfully.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`
	// conditions: Available, Progressing, Degraded.
	// +optional
	// +listType=map
	// +listMapKey=type
	Conditions []metav1.Condition `json:"conditions,omitempty"`
	// replicas is the number of pods of the Deployment.
	// +optional
	Replicas int32 `json:"replicas,omitempty"`
	// readyReplicas is the number of ready pods.
	// +optional
	ReadyReplicas int32 `json:"readyReplicas,omitempty"`
	// updatedReplicas is the number of pods running the current template.
	// +optional
	UpdatedReplicas int32 `json:"updatedReplicas,omitempty"`
	// availableReplicas is the number of available pods.
	// +optional
	AvailableReplicas int32 `json:"availableReplicas,omitempty"`
	// ready is readyReplicas/desired replicas, for display.
	// +optional
	Ready string `json:"ready,omitempty"`
	// selector of the server's pods, for the scale subresource.
	// +optional
	Selector string `json:"selector,omitempty"`
	// image the Deployment runs.
	// +optional
	Image string `json:"image,omitempty"`
	// serviceName is the name of the Service that exposes the server.
	// +optional
	ServiceName string `json:"serviceName,omitempty"`
	// operatorVersion is the version of the operator that last reconciled.
	// +optional
	OperatorVersion string `json:"operatorVersion,omitempty"`
	// metering summarises the operator's scrapes of this server's pods; set
	// while spec.server.metering.enabled is true and metering is on.
	// +optional
	Metering *MeteringStatus `json:"metering,omitempty"`
}

// MeteringStatus summarises the scrapes of a server's pods.
type MeteringStatus struct {
	// targets is the number of ready pods being scraped.
	Targets int32 `json:"targets"`
	// healthyTargets is the number of them whose last scrape succeeded.
	HealthyTargets int32 `json:"healthyTargets"`
	// lastScrapeTime is when a scrape of this server last ended. To keep
	// status writes rare it is refreshed when targets, healthyTargets or
	// lastError change, and otherwise at most every 10 minutes; the
	// operator's metrics have the exact time.
	// +optional
	LastScrapeTime *metav1.Time `json:"lastScrapeTime,omitempty"`
	// lastError is empty when every pod's last scrape succeeded, otherwise
	// "<pod>: <error>" for the first failing pod (and how many more fail).
	// +optional
	LastError string `json:"lastError,omitempty"`
}
