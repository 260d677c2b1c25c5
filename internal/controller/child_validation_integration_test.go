//go:build integration

package controller_test

import "strings"

// childAdmissionCases are the counterexamples of the admission property test
// (issue 13, TestAdmissionProperty): values the API server used to admit in
// an ApplicationServer and then reject in a child. Each is now rejected at
// admission with the field named. Run by TestAdmissionRejectsInvalidObjects.
var childAdmissionCases = []admissionCase{
	{"strategy type unknown", func(o map[string]any) {
		set(o, "spec.deployment.strategy", map[string]any{"type": "BlueGreen"})
	}, []string{"spec.deployment.strategy.type must be RollingUpdate or Recreate"}},
	{"strategy Recreate with rollingUpdate", func(o map[string]any) {
		set(o, "spec.deployment.strategy", map[string]any{"type": "Recreate", "rollingUpdate": map[string]any{"maxSurge": 1}})
	}, []string{"spec.deployment.strategy.rollingUpdate is only allowed when spec.deployment.strategy.type is RollingUpdate"}},
	{"strategy maxUnavailable over 100%", func(o map[string]any) {
		set(o, "spec.deployment.strategy", map[string]any{"rollingUpdate": map[string]any{"maxUnavailable": "150%"}})
	}, []string{"spec.deployment.strategy.rollingUpdate: maxSurge and maxUnavailable must be"}},
	{"strategy both zero", func(o map[string]any) {
		set(o, "spec.deployment.strategy", map[string]any{"rollingUpdate": map[string]any{"maxUnavailable": 0, "maxSurge": "0%"}})
	}, []string{"spec.deployment.strategy.rollingUpdate: maxSurge and maxUnavailable may not both be 0"}},
	{"image with trailing space", func(o map[string]any) { set(o, "spec.deployment.image", "app ") },
		[]string{"spec.deployment.image must not start or end with white space"}},
	{"hostname upper case", func(o map[string]any) { set(o, "spec.deployment.hostname", "Web") },
		[]string{"spec.deployment.hostname must be a DNS-1123 label"}},
	{"subdomain with a dot", func(o map[string]any) { set(o, "spec.deployment.subdomain", "a.b") },
		[]string{"spec.deployment.subdomain must be a DNS-1123 label"}},
	{"serviceAccountName with underscore", func(o map[string]any) { set(o, "spec.deployment.serviceAccountName", "my_sa") },
		[]string{"spec.deployment.serviceAccountName must be a DNS-1123 subdomain"}},
	{"priorityClassName upper case", func(o map[string]any) { set(o, "spec.deployment.priorityClassName", "High") },
		[]string{"spec.deployment.priorityClassName must be a DNS-1123 subdomain"}},
	{"annotation key invalid", func(o map[string]any) {
		set(o, "spec.common.annotations", map[string]any{"not a key": "x"})
	}, []string{"spec.common.annotations: every key must be a valid annotation key"}},
	{"pod annotation key with a long prefix", func(o map[string]any) {
		set(o, "spec.deployment.annotations", map[string]any{strings.Repeat("p", 254) + "/x": "x"})
	}, []string{"spec.deployment.annotations: every key must be a valid annotation key"}},
	{"service annotation key empty name", func(o map[string]any) {
		set(o, "spec.service.annotations", map[string]any{"example.com/": "x"})
	}, []string{"spec.service.annotations: every key must be a valid annotation key"}},
	{"label key with a long prefix", func(o map[string]any) {
		set(o, "spec.common.labels", map[string]any{strings.Repeat("p", 254) + "/x": "x"})
	}, []string{"spec.common.labels: every key must be a valid label key"}},
	{"hostAlias ip malformed", func(o map[string]any) {
		set(o, "spec.deployment.hostAliases", []any{map[string]any{"ip": "10.0.0", "hostnames": []any{"db"}}})
	}, []string{"spec.deployment.hostAliases[].ip must be an IP address"}},
	{"dnsPolicy None without nameservers", func(o map[string]any) {
		set(o, "spec.deployment.dns", map[string]any{"dnsPolicy": "None"})
	}, []string{"spec.deployment.dns.dnsConfig.nameservers needs at least one address when dnsPolicy is None"}},
	{"toleration operator unknown", func(o map[string]any) {
		set(o, "spec.deployment.tolerations", []any{map[string]any{"key": "k", "operator": "Maybe"}})
	}, []string{"spec.deployment.tolerations[].operator must be Exists or Equal"}},
	{"toleration Exists with a value", func(o map[string]any) {
		set(o, "spec.deployment.tolerations", []any{map[string]any{"key": "k", "operator": "Exists", "value": "v"}})
	}, []string{"spec.deployment.tolerations[].value must be empty when operator is Exists"}},
	{"toleration seconds without NoExecute", func(o map[string]any) {
		set(o, "spec.deployment.tolerations", []any{map[string]any{"key": "k", "effect": "NoSchedule", "tolerationSeconds": 60}})
	}, []string{"spec.deployment.tolerations[].tolerationSeconds needs effect NoExecute"}},
	{"toleration without key nor Exists", func(o map[string]any) {
		set(o, "spec.deployment.tolerations", []any{map[string]any{"operator": "Equal", "value": "v"}})
	}, []string{"spec.deployment.tolerations[].operator must be Exists when key is empty"}},
	{"topology spread maxSkew zero", func(o map[string]any) {
		set(o, "spec.deployment.topologySpreadConstraints", []any{map[string]any{"maxSkew": 0, "topologyKey": "zone", "whenUnsatisfiable": "DoNotSchedule"}})
	}, []string{"spec.deployment.topologySpreadConstraints[].maxSkew must be greater than 0"}},
	{"loadBalancerIP malformed", func(o map[string]any) {
		set(o, "spec.service.type", "LoadBalancer")
		set(o, "spec.service.loadBalancerIP", "256.1.1.1")
	}, []string{"spec.service.loadBalancerIP must be an IP address"}},
	{"loadBalancerSourceRange not a CIDR", func(o map[string]any) {
		set(o, "spec.service.type", "LoadBalancer")
		set(o, "spec.service.loadBalancerSourceRanges", []any{"10.0.0.0/33"})
	}, []string{"spec.service.loadBalancerSourceRanges: every entry must be a CIDR"}},
	{"externalIP loopback", func(o map[string]any) { set(o, "spec.service.externalIPs", []any{"127.0.0.1"}) },
		[]string{"spec.service.externalIPs: every entry must be an IP address, not unspecified, loopback or link-local"}},
	{"appProtocol with a space", func(o map[string]any) {
		set(o, "spec.service.ports", []any{port("http", 8080, "appProtocol", "a b")})
	}, []string{"spec.service.ports[].appProtocol must be a qualified name"}},
	{"loadBalancerSourceRange with host bits", func(o map[string]any) {
		set(o, "spec.service.type", "LoadBalancer")
		set(o, "spec.service.loadBalancerSourceRanges", []any{"10.0.0.1/8"})
	}, []string{"spec.service.loadBalancerSourceRanges: every entry must be a CIDR"}},
	{"two ports on one number", func(o map[string]any) {
		set(o, "spec.service.ports", []any{port("http", 8080), port("web", 8080)})
	}, []string{"spec.service.ports: no two ports may have the same port and protocol"}},
	{"two ports on one nodePort", func(o map[string]any) {
		set(o, "spec.service.type", "NodePort")
		set(o, "spec.service.ports", []any{port("http", 80, "nodePort", 30080), port("web", 81, "nodePort", 30080)})
	}, []string{"spec.service.ports: no two ports may have the same nodePort and protocol"}},
	{"port name without a letter", func(o map[string]any) { set(o, "spec.service.ports", []any{port("8080", 8080)}) },
		[]string{"spec.service.ports[].name names the container port too"}},
	{"session affinity timeout too long", func(o map[string]any) {
		set(o, "spec.service.sessionAffinity", "ClientIP")
		set(o, "spec.service.sessionAffinityConfig", map[string]any{"clientIP": map[string]any{"timeoutSeconds": 86401}})
	}, []string{"spec.service.sessionAffinityConfig.clientIP.timeoutSeconds must be 1-86400"}},
	{"ingress path with //", func(o map[string]any) {
		set(o, "spec.ingress", map[string]any{"enabled": true, "path": "/a//b"})
	}, []string{"spec.ingress.path must not contain '//'"}},
	{"ingress className empty", func(o map[string]any) {
		set(o, "spec.ingress", map[string]any{"enabled": true, "className": ""})
	}, []string{"spec.ingress.className must be a DNS-1123 subdomain"}},
	{"ingress className upper case", func(o map[string]any) {
		set(o, "spec.ingress", map[string]any{"enabled": true, "className": "Nginx"})
	}, []string{"spec.ingress.className must be a DNS-1123 subdomain"}},
	{"pdb percentage over 100", func(o map[string]any) {
		set(o, "spec.podDisruptionBudget", map[string]any{"maxUnavailable": "150%"})
	}, []string{"spec.podDisruptionBudget.maxUnavailable must be a non-negative number or a percentage from 0% to 100%"}},
	{"hpa pod metric name with a slash", func(o map[string]any) {
		set(o, "spec.horizontalPodAutoscaler", map[string]any{"enabled": true, "maxReplicas": 2,
			"podMetrics": []any{map[string]any{"name": "a/b", "averageValue": "1"}}})
	}, []string{"spec.horizontalPodAutoscaler.podMetrics[].name must not contain '/'"}},
	{"hpa pod metric zero", func(o map[string]any) {
		set(o, "spec.horizontalPodAutoscaler", map[string]any{"enabled": true, "maxReplicas": 2,
			"podMetrics": []any{map[string]any{"name": "rps", "averageValue": "0"}}})
	}, []string{"spec.horizontalPodAutoscaler.podMetrics[].averageValue must be positive"}},
	{"hpa memory value negative", func(o map[string]any) {
		set(o, "spec.horizontalPodAutoscaler", map[string]any{"enabled": true, "maxReplicas": 2,
			"resourceMetrics": map[string]any{"memoryAverageValue": "-1Gi"}})
	}, []string{"spec.horizontalPodAutoscaler.resourceMetrics.memoryAverageValue must be positive"}},
	{"hpa stabilization window too long", func(o map[string]any) {
		set(o, "spec.horizontalPodAutoscaler", map[string]any{"enabled": true, "maxReplicas": 2,
			"resourceMetrics": map[string]any{"cpuAverageUtilization": 50},
			"behavior":        map[string]any{"scaleDown": map[string]any{"stabilizationWindowSeconds": 3601}}})
	}, []string{"spec.horizontalPodAutoscaler.behavior.scaleDown: stabilizationWindowSeconds must be 0-3600"}},
	{"volume without a source", func(o map[string]any) {
		set(o, "spec.deployment.volumes", []any{map[string]any{"name": "data"}})
	}, []string{"spec.deployment.volumes[]: every volume needs exactly one source"}},
	{"two mounts on one path", func(o map[string]any) {
		set(o, "spec.server.persistence", map[string]any{"claimName": "data", "mountPath": "/data"})
		set(o, "spec.server.application.logs", []any{"/data/server.log"})
	}, []string{"spec.server.application.logs: a log directory is mounted for the log shipper and must differ from spec.server.persistence.mountPath"}},
	{"log directory on the replacement volume", func(o map[string]any) {
		set(o, "spec.server.replacement", map[string]any{"persistentVolumeClaimName": "cfg"})
		set(o, "spec.server.application.logs", []any{"/opt/WebOTX/pv/x.log"})
	}, []string{"spec.server.application.logs: a log directory is mounted for the log shipper and must differ from /opt/WebOTX/pv, where spec.server.replacement mounts its volume"}},
	{"sidecar without an image", func(o map[string]any) {
		set(o, "spec.deployment.sidecars", []any{map[string]any{"name": "proxy"}})
	}, []string{"spec.deployment.sidecars[].image is required"}},
	{"container port named like a service port", func(o map[string]any) {
		set(o, "spec.deployment.ports", []any{map[string]any{"name": "http", "containerPort": 9000, "protocol": "TCP"}})
	}, []string{"spec.deployment.ports[].name: the names of spec.service.ports are taken"}},
	{"container port zero", func(o map[string]any) {
		set(o, "spec.deployment.ports", []any{map[string]any{"name": "jmx", "containerPort": 0, "protocol": "TCP"}})
	}, []string{"spec.deployment.ports[].containerPort must be 1-65535"}},
	{"container port jgroups with session replication", func(o map[string]any) {
		set(o, "spec.server.sessionReplication", map[string]any{"enabled": true})
		set(o, "spec.deployment.ports", []any{map[string]any{"name": "jgroups", "containerPort": 9010, "protocol": "TCP"}})
	}, []string{"spec.deployment.ports[].name: jgroups is the session replication port's name"}},
	{"long name with session replication", func(o map[string]any) {
		set(o, "metadata.name", strings.Repeat("n", 58))
		set(o, "spec.server.sessionReplication", map[string]any{"enabled": true})
	}, []string{"metadata.name must be at most 57 characters while spec.server.sessionReplication is enabled"}},
	{"envFrom secret name invalid", func(o map[string]any) {
		set(o, "spec.server.envFrom", map[string]any{"secrets": []any{"My_Secret"}})
	}, []string{"spec.server.envFrom.secrets: every name must be a DNS-1123 subdomain"}},
	{"env name empty", func(o map[string]any) {
		set(o, "spec.server.env", []any{map[string]any{"name": "", "value": "x"}})
	}, []string{"spec.server.env[].name must not be empty"}},
	{"dns nameservers more than 3", func(o map[string]any) {
		set(o, "spec.deployment.dns", map[string]any{"dnsConfig": map[string]any{"nameservers": []any{"10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4"}}})
	}, []string{"spec.deployment.dns.dnsConfig.nameservers: at most 3 addresses"}},
	{"liveness probe successThreshold 3", func(o map[string]any) {
		set(o, "spec.deployment.livenessProbe", map[string]any{"server": map[string]any{"tcpSocket": map[string]any{"port": 8080}, "successThreshold": 3}})
	}, []string{"spec.deployment.livenessProbe.server.successThreshold must be 1"}},
	{"probe without a handler", func(o map[string]any) {
		set(o, "spec.deployment.readinessProbe", map[string]any{"server": map[string]any{"periodSeconds": 5}})
	}, []string{"spec.deployment.readinessProbe.server", "probes need a handler"}},
	{"probe negative timeout", func(o map[string]any) {
		set(o, "spec.deployment.startupProbe", map[string]any{"server": map[string]any{"tcpSocket": map[string]any{"port": 8080}, "timeoutSeconds": -1}})
	}, []string{"spec.deployment.startupProbe.server", "must not be negative"}},
	{"probe port zero", func(o map[string]any) {
		set(o, "spec.deployment.readinessProbe", map[string]any{"server": map[string]any{"httpGet": map[string]any{"port": 0}}})
	}, []string{"spec.deployment.readinessProbe.server", "httpGet.port and tcpSocket.port must be 1-65535"}},
	{"tracing secret name invalid", func(o map[string]any) {
		set(o, "spec.server.tracing", map[string]any{"jaeger": map[string]any{"authSecret": map[string]any{"name": "a..b"}}})
	}, []string{"spec.server.tracing.jaeger.authSecret.name", "the Secret name must be a DNS-1123 subdomain"}},
	{"topologyKey empty", func(o map[string]any) {
		set(o, "spec.deployment.topologySpreadConstraints", []any{map[string]any{"maxSkew": 1, "topologyKey": "", "whenUnsatisfiable": "DoNotSchedule"}})
	}, []string{"spec.deployment.topologySpreadConstraints[].topologyKey must not be empty"}},
	{"container port on a service port", func(o map[string]any) {
		set(o, "spec.deployment.ports", []any{map[string]any{"name": "jmx", "containerPort": 8080, "protocol": "TCP"}})
	}, []string{"spec.deployment.ports[].containerPort: the (target) ports of spec.service.ports"}},
	{"session replication port on a service port", func(o map[string]any) {
		set(o, "spec.server.sessionReplication", map[string]any{"enabled": true, "port": 8443})
	}, []string{"spec.server.sessionReplication.port (7800 when unset) must differ"}},
}
