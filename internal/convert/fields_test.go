package convert

import (
	"fmt"
	"os"
	"reflect"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/appserver-operator/appserver-operator/api/v1alpha1"
)

// webotxFields is every field path of WebOTX's ApplicationServer and the
// API versions that have it, written down from the schemas of
// manifest/webotx_crd.yaml in github.com/webotx/operator at tags
// v10.40.00.00 (API v2), v11.10.00.00 (v3) and v11.20.00.00 (v4). "[]" is a
// list's item, "{}" a map's value. v2's schema stops at Kubernetes' own
// types (probes, resources, ports, DNS config, ...): their fields are those
// of the Kubernetes types, which v3 and v4 spell out.
const webotxFields = `
apiVersion                                                                 v2 v3 v4
kind                                                                       v2 v3 v4
metadata                                                                   v2 v3 v4
spec                                                                       v2 v3 v4
spec.common                                                                v2 v3 v4
spec.common.labels                                                         v2 v3 v4
spec.common.labels{}                                                       v2 v3 v4
spec.deployment                                                            v2 v3 v4
spec.deployment.annotations                                                v2 v3 v4
spec.deployment.annotations{}                                              v2 v3 v4
spec.deployment.automountServiceAccountToken                               v2 v3 v4
spec.deployment.dns                                                        v2 v3 v4
spec.deployment.dns.dnsConfig                                              v2 v3 v4
spec.deployment.dns.dnsConfig.nameservers                                  v3 v4
spec.deployment.dns.dnsConfig.nameservers[]                                v3 v4
spec.deployment.dns.dnsConfig.options                                      v3 v4
spec.deployment.dns.dnsConfig.options[]                                    v3 v4
spec.deployment.dns.dnsConfig.options[].name                               v3 v4
spec.deployment.dns.dnsConfig.options[].value                              v3 v4
spec.deployment.dns.dnsConfig.searches                                     v3 v4
spec.deployment.dns.dnsConfig.searches[]                                   v3 v4
spec.deployment.dns.dnsPolicy                                              v2 v3 v4
spec.deployment.hostAliases                                                v2 v3 v4
spec.deployment.hostAliases[]                                              v2 v3 v4
spec.deployment.hostAliases[].hostnames                                    v3 v4
spec.deployment.hostAliases[].hostnames[]                                  v3 v4
spec.deployment.hostAliases[].ip                                           v3 v4
spec.deployment.hostname                                                   v2 v3 v4
spec.deployment.image                                                      v2 v3 v4
spec.deployment.imagePullPolicy                                            v2 v3 v4
spec.deployment.imagePullSecrets                                           v2 v3 v4
spec.deployment.imagePullSecrets[]                                         v2 v3 v4
spec.deployment.imagePullSecrets[].name                                    v3 v4
spec.deployment.livenessProbe                                              v2 v3 v4
spec.deployment.livenessProbe.logstash                                     v2 v3 v4
spec.deployment.livenessProbe.logstash.exec                                v3 v4
spec.deployment.livenessProbe.logstash.exec.command                        v3 v4
spec.deployment.livenessProbe.logstash.exec.command[]                      v3 v4
spec.deployment.livenessProbe.logstash.failureThreshold                    v3 v4
spec.deployment.livenessProbe.logstash.grpc                                v4
spec.deployment.livenessProbe.logstash.grpc.port                           v4
spec.deployment.livenessProbe.logstash.grpc.service                        v4
spec.deployment.livenessProbe.logstash.httpGet                             v3 v4
spec.deployment.livenessProbe.logstash.httpGet.host                        v3 v4
spec.deployment.livenessProbe.logstash.httpGet.httpHeaders                 v3 v4
spec.deployment.livenessProbe.logstash.httpGet.httpHeaders[]               v3 v4
spec.deployment.livenessProbe.logstash.httpGet.httpHeaders[].name          v3 v4
spec.deployment.livenessProbe.logstash.httpGet.httpHeaders[].value         v3 v4
spec.deployment.livenessProbe.logstash.httpGet.path                        v3 v4
spec.deployment.livenessProbe.logstash.httpGet.port                        v3 v4
spec.deployment.livenessProbe.logstash.httpGet.scheme                      v3 v4
spec.deployment.livenessProbe.logstash.initialDelaySeconds                 v3 v4
spec.deployment.livenessProbe.logstash.periodSeconds                       v3 v4
spec.deployment.livenessProbe.logstash.successThreshold                    v3 v4
spec.deployment.livenessProbe.logstash.tcpSocket                           v3 v4
spec.deployment.livenessProbe.logstash.tcpSocket.host                      v3 v4
spec.deployment.livenessProbe.logstash.tcpSocket.port                      v3 v4
spec.deployment.livenessProbe.logstash.terminationGracePeriodSeconds       v3 v4
spec.deployment.livenessProbe.logstash.timeoutSeconds                      v3 v4
spec.deployment.livenessProbe.webotx                                       v2 v3 v4
spec.deployment.livenessProbe.webotx.exec                                  v3 v4
spec.deployment.livenessProbe.webotx.exec.command                          v3 v4
spec.deployment.livenessProbe.webotx.exec.command[]                        v3 v4
spec.deployment.livenessProbe.webotx.failureThreshold                      v3 v4
spec.deployment.livenessProbe.webotx.grpc                                  v4
spec.deployment.livenessProbe.webotx.grpc.port                             v4
spec.deployment.livenessProbe.webotx.grpc.service                          v4
spec.deployment.livenessProbe.webotx.httpGet                               v3 v4
spec.deployment.livenessProbe.webotx.httpGet.host                          v3 v4
spec.deployment.livenessProbe.webotx.httpGet.httpHeaders                   v3 v4
spec.deployment.livenessProbe.webotx.httpGet.httpHeaders[]                 v3 v4
spec.deployment.livenessProbe.webotx.httpGet.httpHeaders[].name            v3 v4
spec.deployment.livenessProbe.webotx.httpGet.httpHeaders[].value           v3 v4
spec.deployment.livenessProbe.webotx.httpGet.path                          v3 v4
spec.deployment.livenessProbe.webotx.httpGet.port                          v3 v4
spec.deployment.livenessProbe.webotx.httpGet.scheme                        v3 v4
spec.deployment.livenessProbe.webotx.initialDelaySeconds                   v3 v4
spec.deployment.livenessProbe.webotx.periodSeconds                         v3 v4
spec.deployment.livenessProbe.webotx.successThreshold                      v3 v4
spec.deployment.livenessProbe.webotx.tcpSocket                             v3 v4
spec.deployment.livenessProbe.webotx.tcpSocket.host                        v3 v4
spec.deployment.livenessProbe.webotx.tcpSocket.port                        v3 v4
spec.deployment.livenessProbe.webotx.terminationGracePeriodSeconds         v3 v4
spec.deployment.livenessProbe.webotx.timeoutSeconds                        v3 v4
spec.deployment.logstash                                                   v2 v3 v4
spec.deployment.logstash.elasticsearch                                     v2 v3 v4
spec.deployment.logstash.elasticsearch.auth                                v3 v4
spec.deployment.logstash.elasticsearch.auth.enabled                        v3 v4
spec.deployment.logstash.elasticsearch.auth.secretName                     v3 v4
spec.deployment.logstash.elasticsearch.host                                v2 v3 v4
spec.deployment.logstash.elasticsearch.port                                v2 v3 v4
spec.deployment.logstash.elasticsearch.tls                                 v3 v4
spec.deployment.logstash.elasticsearch.tls.cacert                          v3 v4
spec.deployment.logstash.elasticsearch.tls.cacert.secret                   v3 v4
spec.deployment.logstash.elasticsearch.tls.cacert.secret.key               v3 v4
spec.deployment.logstash.elasticsearch.tls.cacert.secret.name              v3 v4
spec.deployment.logstash.elasticsearch.tls.enabled                         v3 v4
spec.deployment.logstash.elasticsearch.tls.verification                    v3 v4
spec.deployment.nodeSelector                                               v2 v3 v4
spec.deployment.nodeSelector{}                                             v2 v3 v4
spec.deployment.progressDeadlineSeconds                                    v2 v3 v4
spec.deployment.readinessProbe                                             v2 v3 v4
spec.deployment.readinessProbe.logstash                                    v2 v3 v4
spec.deployment.readinessProbe.logstash.exec                               v3 v4
spec.deployment.readinessProbe.logstash.exec.command                       v3 v4
spec.deployment.readinessProbe.logstash.exec.command[]                     v3 v4
spec.deployment.readinessProbe.logstash.failureThreshold                   v3 v4
spec.deployment.readinessProbe.logstash.grpc                               v4
spec.deployment.readinessProbe.logstash.grpc.port                          v4
spec.deployment.readinessProbe.logstash.grpc.service                       v4
spec.deployment.readinessProbe.logstash.httpGet                            v3 v4
spec.deployment.readinessProbe.logstash.httpGet.host                       v3 v4
spec.deployment.readinessProbe.logstash.httpGet.httpHeaders                v3 v4
spec.deployment.readinessProbe.logstash.httpGet.httpHeaders[]              v3 v4
spec.deployment.readinessProbe.logstash.httpGet.httpHeaders[].name         v3 v4
spec.deployment.readinessProbe.logstash.httpGet.httpHeaders[].value        v3 v4
spec.deployment.readinessProbe.logstash.httpGet.path                       v3 v4
spec.deployment.readinessProbe.logstash.httpGet.port                       v3 v4
spec.deployment.readinessProbe.logstash.httpGet.scheme                     v3 v4
spec.deployment.readinessProbe.logstash.initialDelaySeconds                v3 v4
spec.deployment.readinessProbe.logstash.periodSeconds                      v3 v4
spec.deployment.readinessProbe.logstash.successThreshold                   v3 v4
spec.deployment.readinessProbe.logstash.tcpSocket                          v3 v4
spec.deployment.readinessProbe.logstash.tcpSocket.host                     v3 v4
spec.deployment.readinessProbe.logstash.tcpSocket.port                     v3 v4
spec.deployment.readinessProbe.logstash.terminationGracePeriodSeconds      v3 v4
spec.deployment.readinessProbe.logstash.timeoutSeconds                     v3 v4
spec.deployment.readinessProbe.webotx                                      v2 v3 v4
spec.deployment.readinessProbe.webotx.exec                                 v3 v4
spec.deployment.readinessProbe.webotx.exec.command                         v3 v4
spec.deployment.readinessProbe.webotx.exec.command[]                       v3 v4
spec.deployment.readinessProbe.webotx.failureThreshold                     v3 v4
spec.deployment.readinessProbe.webotx.grpc                                 v4
spec.deployment.readinessProbe.webotx.grpc.port                            v4
spec.deployment.readinessProbe.webotx.grpc.service                         v4
spec.deployment.readinessProbe.webotx.httpGet                              v3 v4
spec.deployment.readinessProbe.webotx.httpGet.host                         v3 v4
spec.deployment.readinessProbe.webotx.httpGet.httpHeaders                  v3 v4
spec.deployment.readinessProbe.webotx.httpGet.httpHeaders[]                v3 v4
spec.deployment.readinessProbe.webotx.httpGet.httpHeaders[].name           v3 v4
spec.deployment.readinessProbe.webotx.httpGet.httpHeaders[].value          v3 v4
spec.deployment.readinessProbe.webotx.httpGet.path                         v3 v4
spec.deployment.readinessProbe.webotx.httpGet.port                         v3 v4
spec.deployment.readinessProbe.webotx.httpGet.scheme                       v3 v4
spec.deployment.readinessProbe.webotx.initialDelaySeconds                  v3 v4
spec.deployment.readinessProbe.webotx.periodSeconds                        v3 v4
spec.deployment.readinessProbe.webotx.successThreshold                     v3 v4
spec.deployment.readinessProbe.webotx.tcpSocket                            v3 v4
spec.deployment.readinessProbe.webotx.tcpSocket.host                       v3 v4
spec.deployment.readinessProbe.webotx.tcpSocket.port                       v3 v4
spec.deployment.readinessProbe.webotx.terminationGracePeriodSeconds        v3 v4
spec.deployment.readinessProbe.webotx.timeoutSeconds                       v3 v4
spec.deployment.replicas                                                   v2 v3 v4
spec.deployment.resources                                                  v2 v3 v4
spec.deployment.resources.logstash                                         v2 v3 v4
spec.deployment.resources.logstash.limits                                  v3 v4
spec.deployment.resources.logstash.limits{}                                v3 v4
spec.deployment.resources.logstash.requests                                v3 v4
spec.deployment.resources.logstash.requests{}                              v3 v4
spec.deployment.resources.webotx                                           v2 v3 v4
spec.deployment.resources.webotx.limits                                    v3 v4
spec.deployment.resources.webotx.limits{}                                  v3 v4
spec.deployment.resources.webotx.requests                                  v3 v4
spec.deployment.resources.webotx.requests{}                                v3 v4
spec.deployment.restartPolicy                                              v2 v3 v4
spec.deployment.serviceAccountName                                         v2 v3 v4
spec.deployment.strategy                                                   v2 v3 v4
spec.deployment.strategy.type                                              v2 v3 v4
spec.deployment.subdomain                                                  v2 v3 v4
spec.deployment.terminationGracePeriodSeconds                              v2 v3 v4
spec.deployment.timeZone                                                   v2 v3 v4
spec.horizontalPodAutoscaler                                               v4
spec.horizontalPodAutoscaler.behavior                                      v4
spec.horizontalPodAutoscaler.behavior.scaleDown                            v4
spec.horizontalPodAutoscaler.behavior.scaleDown.policies                   v4
spec.horizontalPodAutoscaler.behavior.scaleDown.policies[]                 v4
spec.horizontalPodAutoscaler.behavior.scaleDown.policies[].periodSeconds   v4
spec.horizontalPodAutoscaler.behavior.scaleDown.policies[].type            v4
spec.horizontalPodAutoscaler.behavior.scaleDown.policies[].value           v4
spec.horizontalPodAutoscaler.behavior.scaleDown.selectPolicy               v4
spec.horizontalPodAutoscaler.behavior.scaleDown.stabilizationWindowSeconds v4
spec.horizontalPodAutoscaler.behavior.scaleUp                              v4
spec.horizontalPodAutoscaler.behavior.scaleUp.policies                     v4
spec.horizontalPodAutoscaler.behavior.scaleUp.policies[]                   v4
spec.horizontalPodAutoscaler.behavior.scaleUp.policies[].periodSeconds     v4
spec.horizontalPodAutoscaler.behavior.scaleUp.policies[].type              v4
spec.horizontalPodAutoscaler.behavior.scaleUp.policies[].value             v4
spec.horizontalPodAutoscaler.behavior.scaleUp.selectPolicy                 v4
spec.horizontalPodAutoscaler.behavior.scaleUp.stabilizationWindowSeconds   v4
spec.horizontalPodAutoscaler.enabled                                       v4
spec.horizontalPodAutoscaler.maxReplicas                                   v4
spec.horizontalPodAutoscaler.minReplicas                                   v4
spec.horizontalPodAutoscaler.podMetrics                                    v4
spec.horizontalPodAutoscaler.podMetrics[]                                  v4
spec.horizontalPodAutoscaler.podMetrics[].averageValue                     v4
spec.horizontalPodAutoscaler.podMetrics[].name                             v4
spec.horizontalPodAutoscaler.resourceMetrics                               v4
spec.horizontalPodAutoscaler.resourceMetrics.cpuAverageUtilization         v4
spec.horizontalPodAutoscaler.resourceMetrics.cpuAverageValue               v4
spec.horizontalPodAutoscaler.resourceMetrics.memoryAverageUtilization      v4
spec.horizontalPodAutoscaler.resourceMetrics.memoryAverageValue            v4
spec.service                                                               v2 v3 v4
spec.service.externalIPs                                                   v2 v3 v4
spec.service.externalIPs[]                                                 v2 v3 v4
spec.service.externalTrafficPolicy                                         v2 v3 v4
spec.service.loadBalancerIP                                                v2 v3 v4
spec.service.loadBalancerSourceRanges                                      v2 v3 v4
spec.service.loadBalancerSourceRanges[]                                    v2 v3 v4
spec.service.ports                                                         v2 v3 v4
spec.service.ports[]                                                       v2 v3 v4
spec.service.ports[].appProtocol                                           v3 v4
spec.service.ports[].name                                                  v3 v4
spec.service.ports[].nodePort                                              v3 v4
spec.service.ports[].port                                                  v3 v4
spec.service.ports[].protocol                                              v3 v4
spec.service.ports[].targetPort                                            v3 v4
spec.service.sessionAffinity                                               v2 v3 v4
spec.service.sessionAffinityConfig                                         v2 v3 v4
spec.service.sessionAffinityConfig.clientIP                                v3 v4
spec.service.sessionAffinityConfig.clientIP.timeoutSeconds                 v3 v4
spec.service.type                                                          v2 v3 v4
spec.webotx                                                                v2 v3 v4
spec.webotx.application                                                    v2 v3 v4
spec.webotx.application.logs                                               v2 v3 v4
spec.webotx.application.logs[]                                             v2 v3 v4
spec.webotx.envFrom                                                        v2 v3 v4
spec.webotx.envFrom.configMaps                                             v2 v3 v4
spec.webotx.envFrom.configMaps[]                                           v2 v3 v4
spec.webotx.envFrom.secrets                                                v2 v3 v4
spec.webotx.envFrom.secrets[]                                              v2 v3 v4
spec.webotx.fileMounts                                                     v3 v4
spec.webotx.fileMounts.configMaps                                          v3 v4
spec.webotx.fileMounts.configMaps[]                                        v3 v4
spec.webotx.fileMounts.configMaps[].key                                    v3 v4
spec.webotx.fileMounts.configMaps[].name                                   v3 v4
spec.webotx.fileMounts.configMaps[].path                                   v3 v4
spec.webotx.fileMounts.secrets                                             v3 v4
spec.webotx.fileMounts.secrets[]                                           v3 v4
spec.webotx.fileMounts.secrets[].key                                       v3 v4
spec.webotx.fileMounts.secrets[].name                                      v3 v4
spec.webotx.fileMounts.secrets[].path                                      v3 v4
spec.webotx.healthCheck                                                    v2 v3 v4
spec.webotx.healthCheck.port                                               v2 v3 v4
spec.webotx.healthCheck.scheme                                             v2 v3 v4
spec.webotx.jaeger                                                         v2 v3 v4
spec.webotx.jaeger.agentHost                                               v2 v3 v4
spec.webotx.jaeger.agentPort                                               v2 v3 v4
spec.webotx.jaeger.authSecret                                              v2 v3 v4
spec.webotx.jaeger.authSecret.name                                         v2 v3 v4
spec.webotx.jaeger.authToken                                               v2 v3 v4
spec.webotx.jaeger.endpoint                                                v2 v3 v4
spec.webotx.jaeger.propagation                                             v2 v3 v4
spec.webotx.jaeger.reporterFlushInterval                                   v2 v3 v4
spec.webotx.jaeger.reporterLogSpans                                        v2 v3 v4
spec.webotx.jaeger.reporterMaxQueueSize                                    v2 v3 v4
spec.webotx.jaeger.samplerManagerHostPort                                  v2 v3 v4
spec.webotx.jaeger.samplerParam                                            v2 v3 v4
spec.webotx.jaeger.samplerType                                             v2 v3 v4
spec.webotx.jaeger.serviceName                                             v2 v3 v4
spec.webotx.jaeger.tags                                                    v2 v3 v4
spec.webotx.metering                                                       v2 v3 v4
spec.webotx.metering.enabled                                               v2 v3 v4
spec.webotx.metering.port                                                  v2 v3 v4
spec.webotx.metering.scheme                                                v2 v3 v4
spec.webotx.performanceAnalyzer                                            v4
spec.webotx.performanceAnalyzer.faultVerificationTime                      v4
spec.webotx.performanceAnalyzer.memoryMonitor                              v4
spec.webotx.performanceAnalyzer.slowDownMonitor                            v4
spec.webotx.replacement                                                    v4
spec.webotx.replacement.persistentVolumeClaimName                          v4
spec.webotx.sessionReplication                                             v2 v3 v4
spec.webotx.sessionReplication.enabled                                     v2 v3 v4
spec.webotx.sessionReplication.useAllProcessGroups                         v2 v3 v4
spec.webotx.sessionReplication.useJmxAgent                                 v2 v3 v4
status                                                                     v2 v3 v4
status.operatorVersion                                                     v3 v4
`

// TestEveryWebOTXFieldHasARule holds WebOTX's field list against the
// converter's table: every field has a rule (or sits inside a Kubernetes
// type a rule carries whole, and that type has the field), every rule's
// target exists in our API with a fitting type, and every rule that claims
// to be WebOTX's is in the list, from the version it says.
func TestEveryWebOTXFieldHasARule(t *testing.T) {
	first := map[string]int{}
	hasV2Fields := map[string]bool{} // v2 objects whose schema lists fields
	var paths []string
	for _, line := range strings.Split(strings.TrimSpace(webotxFields), "\n") {
		fields := strings.Fields(line)
		path, vs := fields[0], fields[1:]
		paths = append(paths, path)
		first[path] = int(vs[0][1] - '0')
		if first[path] == 2 {
			hasV2Fields[parent(path)] = true
		}
		if err := covered(path); err != nil {
			t.Errorf("WebOTX field %s (%s): %v", path, strings.Join(vs, " "), err)
		}
	}
	for _, path := range paths {
		if p := parent(path); first[path] == 3 && first[p] == 2 && !hasV2Fields[p] {
			// Inside a v2 object whose schema has no fields (a Kubernetes
			// type, or status): the field was there in v2 already.
			first[path] = 2
		}
	}
	for i := range rules {
		r := &rules[i]
		v, inCRD := first[r.from]
		switch {
		case r.since > 0 && !inCRD:
			t.Errorf("rule %s says WebOTX v%d has it, but WebOTX's field list does not", r.from, r.since)
		case r.since > 0 && v != r.since:
			t.Errorf("rule %s: since v%d, WebOTX's field list says v%d", r.from, r.since, v)
		case r.since == 0 && inCRD:
			t.Errorf("rule %s: WebOTX's field list has it from v%d, the rule says since 0", r.from, v)
		}
		if err := checkTarget(r); err != nil {
			t.Errorf("rule %s: %v", r.from, err)
		}
	}
}

// covered finds the rule for a WebOTX path: its own, or that of an ancestor
// that carries the whole subtree.
func covered(path string) error {
	if _, ok := ruleFor[path]; ok {
		return nil
	}
	for p := parent(path); p != ""; p = parent(p) {
		r, ok := ruleFor[p]
		if !ok {
			continue
		}
		switch r.kind {
		case kTyped:
			if _, err := fieldType(r.typ, path[len(p):]); err != nil {
				return fmt.Errorf("carried inside %s as a %s, which has no such field: %w", p, r.typ, err)
			}
			return nil
		case kStrings, kStringMap:
			if rest := path[len(p):]; rest != "[]" && rest != "{}" {
				return fmt.Errorf("%s is a %s, it has no field %s", p, r.kind, rest)
			}
			return nil
		case kDrop, kLost:
			return nil
		default:
			return fmt.Errorf("no rule (%s has one, of kind %s, that walks its fields one by one)", p, r.kind)
		}
	}
	return fmt.Errorf("no rule")
}

// parent strips the last step of a path: a key, [] or {}.
func parent(path string) string {
	if p, ok := strings.CutSuffix(path, "[]"); ok {
		return p
	}
	if p, ok := strings.CutSuffix(path, "{}"); ok {
		return p
	}
	if i := strings.LastIndex(path, "."); i >= 0 {
		return path[:i]
	}
	return ""
}

// checkTarget: the rule's target path exists in our ApplicationServer and
// its Go type fits the kind of value the rule writes.
func checkTarget(r *rule) error {
	switch r.kind {
	case kDrop, kLost, kList:
		if r.to != "" {
			return fmt.Errorf("a %s rule writes nothing, yet has a target %s", r.kind, r.to)
		}
		return nil
	case kCustom:
		if r.custom == nil {
			return fmt.Errorf("custom rule without a function")
		}
	case kObject:
		if r.to == "" {
			if r.keep {
				return fmt.Errorf("keep without a target")
			}
			return nil
		}
	}
	if r.to == "" {
		if r.kind == kCustom {
			return nil
		}
		return fmt.Errorf("a %s rule without a target", r.kind)
	}
	typ, err := fieldType(reflect.TypeFor[v1alpha1.ApplicationServer](), "."+r.to)
	if err != nil {
		return fmt.Errorf("target %s: %w", r.to, err)
	}
	for typ.Kind() == reflect.Pointer {
		typ = typ.Elem()
	}
	ok := true
	switch r.kind {
	case kString, kText:
		ok = typ.Kind() == reflect.String
	case kInt:
		ok = typ.Kind() == reflect.Int32 || typ.Kind() == reflect.Int64
	case kBool:
		ok = typ.Kind() == reflect.Bool
	case kIntOrString:
		ok = typ == reflect.TypeFor[intstr.IntOrString]()
	case kQuantity:
		ok = typ == reflect.TypeFor[resource.Quantity]()
	case kStrings:
		ok = typ.Kind() == reflect.Slice && typ.Elem().Kind() == reflect.String
	case kStringMap:
		ok = typ.Kind() == reflect.Map && typ.Key().Kind() == reflect.String && typ.Elem().Kind() == reflect.String
	case kTyped:
		ok = typ == r.typ
	case kObject:
		ok = typ.Kind() == reflect.Struct
	}
	if !ok {
		return fmt.Errorf("target %s is a %s, the rule writes a %s", r.to, typ, r.kind)
	}
	return nil
}

// fieldType follows a path (".a.b[]{}" steps) through a Go type by its JSON
// names, inline structs included.
func fieldType(typ reflect.Type, rest string) (reflect.Type, error) {
	for rest != "" {
		for typ.Kind() == reflect.Pointer {
			typ = typ.Elem()
		}
		switch {
		case strings.HasPrefix(rest, "[]"):
			if typ.Kind() != reflect.Slice {
				return nil, fmt.Errorf("%s is not a list", typ)
			}
			typ, rest = typ.Elem(), rest[2:]
		case strings.HasPrefix(rest, "{}"):
			if typ.Kind() != reflect.Map {
				return nil, fmt.Errorf("%s is not a map", typ)
			}
			typ, rest = typ.Elem(), rest[2:]
		case strings.HasPrefix(rest, "."):
			rest = rest[1:]
			end := strings.IndexAny(rest, ".[{")
			if end < 0 {
				end = len(rest)
			}
			name := rest[:end]
			f, ok := jsonField(typ, name)
			if !ok {
				return nil, fmt.Errorf("%s has no field %q", typ, name)
			}
			typ, rest = f, rest[end:]
		default:
			return nil, fmt.Errorf("bad path step %q", rest)
		}
	}
	return typ, nil
}

func jsonField(typ reflect.Type, name string) (reflect.Type, bool) {
	if typ.Kind() != reflect.Struct {
		return nil, false
	}
	for i := range typ.NumField() {
		f := typ.Field(i)
		tag, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if tag == name {
			return f.Type, true
		}
		if tag == "" && f.Anonymous { // inline
			if t, ok := jsonField(f.Type, name); ok {
				return t, true
			}
		}
	}
	return nil, false
}

// TestMigrationDocListsEveryField: docs/migrating-from-webotx.md names every
// WebOTX field the converter carries or reports, in its field table.
func TestMigrationDocListsEveryField(t *testing.T) {
	raw, err := os.ReadFile("../../docs/migrating-from-webotx.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(raw)
	for i := range rules {
		r := &rules[i]
		if r.kind == kObject || r.kind == kList || r.kind == kDrop || strings.HasPrefix(r.from, "metadata.") {
			continue
		}
		if !strings.Contains(doc, "`"+r.from+"`") {
			t.Errorf("docs/migrating-from-webotx.md does not name `%s`", r.from)
		}
	}
}
