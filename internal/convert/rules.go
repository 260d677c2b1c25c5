package convert

import (
	"fmt"
	"reflect"

	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
)

// kind says how a WebOTX field's value is checked and carried.
type kind int

const (
	kObject      kind = iota // walk its fields
	kList                    // walk its items (rule pattern + "[]")
	kString                  // a string (rule.enum: one of those)
	kText                    // a string; a number or boolean is written as its text
	kInt                     // a 32-bit integer
	kBool                    // true or false
	kIntOrString             // a port number or name
	kQuantity                // a resource quantity
	kStrings                 // a list of strings
	kStringMap               // a map of strings
	kTyped                   // a Kubernetes type (rule.typ), carried whole
	kDrop                    // not carried, and nothing is lost: server-set metadata, status
	kLost                    // not carried: a loss (rule.why)
	kCustom                  // rule.custom decides
)

func (k kind) String() string {
	return [...]string{"object", "list", "string", "text", "integer", "boolean", "int-or-string", "quantity",
		"string list", "string map", "typed", "dropped", "not carried", "custom"}[k]
}

// rule says where one WebOTX field goes.
type rule struct {
	// from is the WebOTX path: keys joined by dots, [] for a list's items.
	from string
	// to is our path ([] as in from); empty when not carried.
	to   string
	kind kind
	// since is the first WebOTX API version with the field (2, 3 or 4); 0
	// for spellings and places WebOTX's CRD does not have but its templates,
	// guide or Kubernetes metadata do.
	since int
	// why: for kLost the reason the field is not carried; for other kinds a
	// note printed whenever the field is converted.
	why string
	// enum restricts a kString to our API's values.
	enum []string
	// typ is the Kubernetes type of a kTyped value.
	typ reflect.Type
	// keep writes an empty object at to when the WebOTX object is present
	// (its presence means something, as healthCheck's does).
	keep bool
	// custom converts a kCustom field.
	custom func(c *converter, path string, idx []int, v any)
}

func typeOf[T any]() reflect.Type { return reflect.TypeFor[T]() }

const (
	whyLogstashProbe = "it probes the Logstash container (its API port 9600 or its commands); the log-shipper sidecar " +
		"is an OpenTelemetry Collector build and needs a probe of its own (spec.deployment.*Probe.logShipper), if any"
)

// rules is the mapping table: every field of WebOTX's ApplicationServer
// (v2, v3, v4), each with its home in appserver.dev/v1alpha1 or the reason
// it has none. TestEveryWebOTXFieldHasARule holds WebOTX's field list
// against it.
var rules = []rule{
	// Kubernetes' own fields.
	{from: "apiVersion", kind: kDrop, since: 2}, // becomes appserver.dev/v1alpha1
	{from: "kind", kind: kDrop, since: 2},
	{from: "metadata", kind: kObject, since: 2},
	{from: "metadata.name", to: "metadata.name", kind: kString},
	{from: "metadata.generateName", to: "metadata.generateName", kind: kString},
	{from: "metadata.namespace", to: "metadata.namespace", kind: kString},
	{from: "metadata.labels", to: "metadata.labels", kind: kStringMap},
	{from: "metadata.annotations", to: "metadata.annotations", kind: kCustom, custom: annotations},
	{from: "metadata.uid", kind: kDrop},
	{from: "metadata.resourceVersion", kind: kDrop},
	{from: "metadata.generation", kind: kDrop},
	{from: "metadata.creationTimestamp", kind: kDrop},
	{from: "metadata.deletionTimestamp", kind: kDrop},
	{from: "metadata.deletionGracePeriodSeconds", kind: kDrop},
	{from: "metadata.managedFields", kind: kDrop},
	{from: "metadata.selfLink", kind: kDrop},
	{from: "metadata.ownerReferences", kind: kLost, why: "owner references point at the owners of the WebOTX object; set them again if the new object needs them"},
	{from: "metadata.finalizers", kind: kLost, why: "finalizers belong to the controller of the WebOTX object"},
	{from: "status", kind: kDrop, since: 2}, // written by the operator
	{from: "status.operatorVersion", kind: kDrop, since: 2},
	{from: "spec", kind: kObject, since: 2},

	// spec.common
	{from: "spec.common", kind: kObject, since: 2},
	{from: "spec.common.labels", to: "spec.common.labels", kind: kStringMap, since: 2},

	// spec.webotx → spec.server
	{from: "spec.webotx", kind: kObject, since: 2},
	{from: "spec.webotx.application", kind: kObject, since: 2},
	{from: "spec.webotx.application.logs", to: "spec.server.application.logs", kind: kStrings, since: 2},
	{from: "spec.webotx.envFrom", kind: kObject, since: 2},
	{from: "spec.webotx.envFrom.configMaps", to: "spec.server.envFrom.configMaps", kind: kStrings, since: 2},
	{from: "spec.webotx.envFrom.secrets", to: "spec.server.envFrom.secrets", kind: kStrings, since: 2},
	{from: "spec.webotx.healthCheck", to: "spec.server.healthCheck", kind: kObject, keep: true, since: 2},
	{from: "spec.webotx.healthCheck.port", to: "spec.server.healthCheck.port", kind: kInt, since: 2},
	{from: "spec.webotx.healthCheck.scheme", to: "spec.server.healthCheck.scheme", kind: kString, enum: []string{"http", "https", "HTTP", "HTTPS"}, since: 2},
	{from: "spec.webotx.jaeger", kind: kObject, since: 2},
	{from: "spec.webotx.jaeger.serviceName", to: "spec.server.tracing.jaeger.serviceName", kind: kText, since: 2},
	{from: "spec.webotx.jaeger.agentHost", to: "spec.server.tracing.jaeger.agentHost", kind: kText, since: 2},
	{from: "spec.webotx.jaeger.agentPort", to: "spec.server.tracing.jaeger.agentPort", kind: kText, since: 2},
	{from: "spec.webotx.jaeger.endpoint", to: "spec.server.tracing.jaeger.endpoint", kind: kText, since: 2},
	{from: "spec.webotx.jaeger.authToken", to: "spec.server.tracing.jaeger.authToken", kind: kText, since: 2},
	{from: "spec.webotx.jaeger.authSecret", kind: kObject, since: 2},
	{from: "spec.webotx.jaeger.authSecret.name", to: "spec.server.tracing.jaeger.authSecret.name", kind: kString, since: 2},
	{from: "spec.webotx.jaeger.propagation", to: "spec.server.tracing.jaeger.propagation", kind: kString, enum: []string{"jaeger", "b3", "w3c"}, since: 2},
	{from: "spec.webotx.jaeger.reporterLogSpans", to: "spec.server.tracing.jaeger.reporterLogSpans", kind: kText, since: 2},
	{from: "spec.webotx.jaeger.reporterMaxQueueSize", to: "spec.server.tracing.jaeger.reporterMaxQueueSize", kind: kText, since: 2},
	{from: "spec.webotx.jaeger.reporterFlushInterval", to: "spec.server.tracing.jaeger.reporterFlushInterval", kind: kText, since: 2},
	{from: "spec.webotx.jaeger.samplerType", to: "spec.server.tracing.jaeger.samplerType", kind: kString, enum: []string{"const", "probabilistic", "ratelimiting", "remote"}, since: 2},
	{from: "spec.webotx.jaeger.samplerParam", to: "spec.server.tracing.jaeger.samplerParam", kind: kText, since: 2},
	{from: "spec.webotx.jaeger.samplerManagerHostPort", to: "spec.server.tracing.jaeger.samplerManagerHostPort", kind: kText, since: 2},
	{from: "spec.webotx.jaeger.tags", to: "spec.server.tracing.jaeger.tags", kind: kText, since: 2},
	{from: "spec.webotx.metering", kind: kObject, since: 2},
	{from: "spec.webotx.metering.enabled", to: "spec.server.metering.enabled", kind: kBool, since: 2},
	{from: "spec.webotx.metering.scheme", to: "spec.server.metering.scheme", kind: kString, enum: []string{"http", "https"}, since: 2},
	{from: "spec.webotx.metering.port", to: "spec.server.metering.port", kind: kInt, since: 2},
	{from: "spec.webotx.sessionReplication", kind: kObject, since: 2},
	{from: "spec.webotx.sessionReplication.enabled", to: "spec.server.sessionReplication.enabled", kind: kBool, since: 2},
	{from: "spec.webotx.sessionReplication.useJmxAgent", to: "spec.server.sessionReplication.useJmxAgent", kind: kBool, since: 2},
	{from: "spec.webotx.sessionReplication.useAllProcessGroups", to: "spec.server.sessionReplication.useAllProcessGroups", kind: kBool, since: 2},
	{from: "spec.webotx.fileMounts", kind: kObject, since: 3},
	{from: "spec.webotx.fileMounts.configMaps", kind: kList, since: 3},
	{from: "spec.webotx.fileMounts.configMaps[]", kind: kObject, since: 3},
	{from: "spec.webotx.fileMounts.configMaps[].name", to: "spec.server.fileMounts.configMaps[].name", kind: kString, since: 3},
	{from: "spec.webotx.fileMounts.configMaps[].key", to: "spec.server.fileMounts.configMaps[].key", kind: kString, since: 3},
	{from: "spec.webotx.fileMounts.configMaps[].path", to: "spec.server.fileMounts.configMaps[].path", kind: kString, since: 3},
	{from: "spec.webotx.fileMounts.secrets", kind: kList, since: 3},
	{from: "spec.webotx.fileMounts.secrets[]", kind: kObject, since: 3},
	{from: "spec.webotx.fileMounts.secrets[].name", to: "spec.server.fileMounts.secrets[].name", kind: kString, since: 3},
	{from: "spec.webotx.fileMounts.secrets[].key", to: "spec.server.fileMounts.secrets[].key", kind: kString, since: 3},
	{from: "spec.webotx.fileMounts.secrets[].path", to: "spec.server.fileMounts.secrets[].path", kind: kString, since: 3},
	{from: "spec.webotx.performanceAnalyzer", kind: kObject, since: 4},
	{from: "spec.webotx.performanceAnalyzer.faultVerificationTime", to: "spec.server.performanceAnalyzer.faultVerificationTime", kind: kInt, since: 4},
	{from: "spec.webotx.performanceAnalyzer.slowDownMonitor", to: "spec.server.performanceAnalyzer.slowDownMonitor", kind: kBool, since: 4},
	{from: "spec.webotx.performanceAnalyzer.memoryMonitor", to: "spec.server.performanceAnalyzer.memoryMonitor", kind: kBool, since: 4},
	{from: "spec.webotx.replacement", kind: kObject, since: 4},
	{from: "spec.webotx.replacement.persistentVolumeClaimName", to: "spec.server.replacement.persistentVolumeClaimName", kind: kString, since: 4},
	// The guide (§2.4.5.1, EKS on Fargate) shows resources under
	// spec.webotx; WebOTX's CRD has them under spec.deployment.
	{from: "spec.webotx.resources", kind: kObject},
	{from: "spec.webotx.resources.webotx", to: "spec.deployment.resources.server", kind: kTyped, typ: typeOf[corev1.ResourceRequirements](),
		why: "moved to spec.deployment.resources.server (WebOTX's CRD has resources under spec.deployment; its guide shows them under spec.webotx)"},
	{from: "spec.webotx.resources.logstash", to: "spec.deployment.resources.logShipper", kind: kTyped, typ: typeOf[corev1.ResourceRequirements](),
		why: "moved to spec.deployment.resources.logShipper (WebOTX's CRD has resources under spec.deployment; its guide shows them under spec.webotx)"},

	// spec.deployment
	{from: "spec.deployment", kind: kObject, since: 2},
	{from: "spec.deployment.replicas", to: "spec.deployment.replicas", kind: kInt, since: 2},
	{from: "spec.deployment.image", to: "spec.deployment.image", kind: kString, since: 2},
	{from: "spec.deployment.imagePullPolicy", to: "spec.deployment.imagePullPolicy", kind: kString, enum: []string{"Always", "IfNotPresent", "Never"}, since: 2},
	{from: "spec.deployment.imagePullSecrets", kind: kList, since: 2},
	{from: "spec.deployment.imagePullSecrets[]", to: "spec.deployment.imagePullSecrets[]", kind: kTyped, typ: typeOf[corev1.LocalObjectReference](), since: 2},
	{from: "spec.deployment.annotations", to: "spec.deployment.annotations", kind: kStringMap, since: 2},
	{from: "spec.deployment.hostname", to: "spec.deployment.hostname", kind: kString, since: 2},
	{from: "spec.deployment.hostName", to: "spec.deployment.hostname", kind: kString}, // the templates' spelling
	{from: "spec.deployment.subdomain", to: "spec.deployment.subdomain", kind: kString, since: 2},
	{from: "spec.deployment.subDomain", to: "spec.deployment.subdomain", kind: kString}, // the templates' spelling
	{from: "spec.deployment.restartPolicy", kind: kCustom, custom: restartPolicy, since: 2},
	{from: "spec.deployment.terminationGracePeriodSeconds", to: "spec.deployment.terminationGracePeriodSeconds", kind: kInt, since: 2},
	{from: "spec.deployment.serviceAccountName", to: "spec.deployment.serviceAccountName", kind: kString, since: 2},
	{from: "spec.deployment.automountServiceAccountToken", to: "spec.deployment.automountServiceAccountToken", kind: kBool, since: 2},
	{from: "spec.deployment.dns", kind: kObject, since: 2},
	{from: "spec.deployment.dns.dnsPolicy", to: "spec.deployment.dns.dnsPolicy", kind: kString, enum: []string{"ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"}, since: 2},
	{from: "spec.deployment.dns.dnsConfig", to: "spec.deployment.dns.dnsConfig", kind: kTyped, typ: typeOf[corev1.PodDNSConfig](), since: 2},
	{from: "spec.deployment.hostAliases", kind: kList, since: 2},
	{from: "spec.deployment.hostAliases[]", to: "spec.deployment.hostAliases[]", kind: kTyped, typ: typeOf[corev1.HostAlias](), since: 2},
	{from: "spec.deployment.nodeSelector", to: "spec.deployment.nodeSelector", kind: kStringMap, since: 2},
	{from: "spec.deployment.strategy", kind: kObject, since: 2},
	{from: "spec.deployment.strategy.type", to: "spec.deployment.strategy.type", kind: kString, enum: []string{"Recreate", "RollingUpdate"}, since: 2},
	{from: "spec.deployment.progressDeadlineSeconds", to: "spec.deployment.progressDeadlineSeconds", kind: kInt, since: 2},
	{from: "spec.deployment.timeZone", to: "spec.deployment.timeZone", kind: kString, since: 2},
	{from: "spec.deployment.logstash", kind: kObject, since: 2},
	{from: "spec.deployment.logstash.elasticsearch", to: "spec.deployment.logShipper.elasticsearch", kind: kObject, keep: true, since: 2},
	{from: "spec.deployment.logstash.elasticsearch.host", to: "spec.deployment.logShipper.elasticsearch.host", kind: kString, since: 2},
	{from: "spec.deployment.logstash.elasticsearch.port", to: "spec.deployment.logShipper.elasticsearch.port", kind: kInt, since: 2},
	{from: "spec.deployment.logstash.elasticsearch.tls", to: "spec.deployment.logShipper.elasticsearch.tls", kind: kObject, keep: true, since: 3},
	{from: "spec.deployment.logstash.elasticsearch.tls.enabled", to: "spec.deployment.logShipper.elasticsearch.tls.enabled", kind: kBool, since: 3},
	{from: "spec.deployment.logstash.elasticsearch.tls.verification", to: "spec.deployment.logShipper.elasticsearch.tls.verification", kind: kBool, since: 3},
	{from: "spec.deployment.logstash.elasticsearch.tls.cacert", kind: kObject, since: 3},
	{from: "spec.deployment.logstash.elasticsearch.tls.cacert.secret", kind: kObject, since: 3},
	{from: "spec.deployment.logstash.elasticsearch.tls.cacert.secret.name", to: "spec.deployment.logShipper.elasticsearch.tls.cacert.secret.name", kind: kString, since: 3},
	{from: "spec.deployment.logstash.elasticsearch.tls.cacert.secret.key", to: "spec.deployment.logShipper.elasticsearch.tls.cacert.secret.key", kind: kString, since: 3},
	{from: "spec.deployment.logstash.elasticsearch.auth", to: "spec.deployment.logShipper.elasticsearch.auth", kind: kObject, keep: true, since: 3},
	{from: "spec.deployment.logstash.elasticsearch.auth.enabled", to: "spec.deployment.logShipper.elasticsearch.auth.enabled", kind: kBool, since: 3},
	{from: "spec.deployment.logstash.elasticsearch.auth.secretName", to: "spec.deployment.logShipper.elasticsearch.auth.secretName", kind: kString, since: 3},
	{from: "spec.deployment.resources", kind: kObject, since: 2},
	{from: "spec.deployment.resources.webotx", to: "spec.deployment.resources.server", kind: kTyped, typ: typeOf[corev1.ResourceRequirements](), since: 2},
	{from: "spec.deployment.resources.logstash", to: "spec.deployment.resources.logShipper", kind: kTyped, typ: typeOf[corev1.ResourceRequirements](), since: 2},
	{from: "spec.deployment.readinessProbe", kind: kObject, since: 2},
	{from: "spec.deployment.readinessProbe.webotx", to: "spec.deployment.readinessProbe.server", kind: kTyped, typ: typeOf[corev1.Probe](), since: 2},
	{from: "spec.deployment.readinessProbe.logstash", kind: kLost, why: whyLogstashProbe, since: 2},
	{from: "spec.deployment.livenessProbe", kind: kObject, since: 2},
	{from: "spec.deployment.livenessProbe.webotx", to: "spec.deployment.livenessProbe.server", kind: kTyped, typ: typeOf[corev1.Probe](), since: 2},
	{from: "spec.deployment.livenessProbe.logstash", kind: kLost, why: whyLogstashProbe, since: 2},

	// spec.horizontalPodAutoscaler (v4)
	{from: "spec.horizontalPodAutoscaler", to: "spec.horizontalPodAutoscaler", kind: kObject, keep: true, since: 4},
	{from: "spec.horizontalPodAutoscaler.enabled", to: "spec.horizontalPodAutoscaler.enabled", kind: kBool, since: 4},
	{from: "spec.horizontalPodAutoscaler.minReplicas", to: "spec.horizontalPodAutoscaler.minReplicas", kind: kInt, since: 4},
	{from: "spec.horizontalPodAutoscaler.maxReplicas", to: "spec.horizontalPodAutoscaler.maxReplicas", kind: kInt, since: 4},
	{from: "spec.horizontalPodAutoscaler.resourceMetrics", kind: kObject, since: 4},
	{from: "spec.horizontalPodAutoscaler.resourceMetrics.cpuAverageUtilization", to: "spec.horizontalPodAutoscaler.resourceMetrics.cpuAverageUtilization", kind: kInt, since: 4},
	{from: "spec.horizontalPodAutoscaler.resourceMetrics.cpuAverageValue", to: "spec.horizontalPodAutoscaler.resourceMetrics.cpuAverageValue", kind: kQuantity, since: 4},
	{from: "spec.horizontalPodAutoscaler.resourceMetrics.memoryAverageUtilization", to: "spec.horizontalPodAutoscaler.resourceMetrics.memoryAverageUtilization", kind: kInt, since: 4},
	{from: "spec.horizontalPodAutoscaler.resourceMetrics.memoryAverageValue", to: "spec.horizontalPodAutoscaler.resourceMetrics.memoryAverageValue", kind: kQuantity, since: 4},
	{from: "spec.horizontalPodAutoscaler.podMetrics", kind: kList, since: 4},
	{from: "spec.horizontalPodAutoscaler.podMetrics[]", kind: kObject, since: 4},
	{from: "spec.horizontalPodAutoscaler.podMetrics[].name", to: "spec.horizontalPodAutoscaler.podMetrics[].name", kind: kString, since: 4},
	{from: "spec.horizontalPodAutoscaler.podMetrics[].averageValue", to: "spec.horizontalPodAutoscaler.podMetrics[].averageValue", kind: kQuantity, since: 4},
	{from: "spec.horizontalPodAutoscaler.behavior", to: "spec.horizontalPodAutoscaler.behavior", kind: kTyped, typ: typeOf[autoscalingv2.HorizontalPodAutoscalerBehavior](), since: 4},

	// spec.service
	{from: "spec.service", kind: kObject, since: 2},
	{from: "spec.service.type", to: "spec.service.type", kind: kString, enum: []string{"ClusterIP", "NodePort", "LoadBalancer"}, since: 2},
	{from: "spec.service.ports", kind: kList, since: 2},
	{from: "spec.service.ports[]", kind: kObject, since: 2},
	{from: "spec.service.ports[].name", to: "spec.service.ports[].name", kind: kString, since: 2},
	{from: "spec.service.ports[].protocol", to: "spec.service.ports[].protocol", kind: kString, enum: []string{"TCP", "UDP", "SCTP"}, since: 2},
	{from: "spec.service.ports[].port", to: "spec.service.ports[].port", kind: kInt, since: 2},
	{from: "spec.service.ports[].targetPort", to: "spec.service.ports[].targetPort", kind: kIntOrString, since: 2},
	{from: "spec.service.ports[].nodePort", to: "spec.service.ports[].nodePort", kind: kInt, since: 2},
	{from: "spec.service.ports[].appProtocol", to: "spec.service.ports[].appProtocol", kind: kString, since: 2},
	{from: "spec.service.sessionAffinity", to: "spec.service.sessionAffinity", kind: kString, enum: []string{"None", "ClientIP"}, since: 2},
	{from: "spec.service.sessionAffinityConfig", to: "spec.service.sessionAffinityConfig", kind: kTyped, typ: typeOf[corev1.SessionAffinityConfig](), since: 2},
	{from: "spec.service.externalTrafficPolicy", to: "spec.service.externalTrafficPolicy", kind: kString, enum: []string{"Cluster", "Local"}, since: 2},
	{from: "spec.service.loadBalancerIP", to: "spec.service.loadBalancerIP", kind: kString, since: 2},
	{from: "spec.service.loadBalancerSourceRanges", to: "spec.service.loadBalancerSourceRanges", kind: kStrings, since: 2},
	{from: "spec.service.externalIPs", to: "spec.service.externalIPs", kind: kStrings, since: 2},
}

// ruleFor indexes rules by WebOTX path.
var ruleFor = func() map[string]*rule {
	m := make(map[string]*rule, len(rules))
	for i := range rules {
		r := &rules[i]
		if _, dup := m[r.from]; dup {
			panic(fmt.Sprintf("convert: two rules for %s", r.from))
		}
		m[r.from] = r
	}
	return m
}()

// lastApplied is kubectl's annotation holding the WebOTX object as last
// applied; it describes the old object, not the new one.
const lastApplied = "kubectl.kubernetes.io/last-applied-configuration"

// annotations keeps the object's annotations but kubectl's record of the
// WebOTX object.
func annotations(c *converter, path string, idx []int, v any) {
	r := rule{kind: kStringMap}
	val, err := r.value(v)
	if err != nil {
		c.loss(path, "%v", err)
		return
	}
	m := val.(map[string]any)
	if _, ok := m[lastApplied]; ok {
		kept := make(map[string]any, len(m))
		for k, v := range m {
			if k != lastApplied {
				kept[k] = v
			}
		}
		m = kept
		c.note(path+"."+lastApplied, "dropped: it records the WebOTX object; kubectl apply writes a new one")
	}
	if len(m) > 0 {
		c.set("metadata.annotations", idx, path, m)
	}
}

// restartPolicy: a Deployment's pods always restart (Kubernetes accepts
// only Always in a Deployment), so Always carries over as nothing.
func restartPolicy(c *converter, path string, _ []int, v any) {
	if s, ok := v.(string); ok && s == string(corev1.RestartPolicyAlways) {
		return
	}
	c.loss(path, "%s: a Deployment's pods always restart (Always is the only value Kubernetes accepts for a Deployment)", describe(v))
}
