//go:build integration

package controller_test

import "testing"

// Admission of the WebOTX-parity fields (issue 10).
func TestAdmissionWebOTXFields(t *testing.T) {
	runAdmissionCases(t, webotxAdmissionCases)
}

var webotxAdmissionCases = []admissionCase{
	// service ports
	{"targetPort by name of a numeric port", func(o map[string]any) {
		set(o, "spec.service.ports", []any{port("http", 8080), port("web", 80, "targetPort", "http")})
	}, nil},
	{"targetPort names an unknown port", func(o map[string]any) {
		set(o, "spec.service.ports", []any{port("http", 8080), port("web", 80, "targetPort", "admin")})
	}, []string{"spec.service.ports[].targetPort: a name must be the name of another port whose targetPort is a number"}},
	{"targetPort names a named-target port", func(o map[string]any) {
		set(o, "spec.service.ports", []any{port("a", 8080, "targetPort", "b"), port("b", 80, "targetPort", "a")})
	}, []string{"spec.service.ports[].targetPort: a name must be"}},
	{"targetPort bad name", func(o map[string]any) {
		set(o, "spec.service.ports", []any{port("http", 8080), port("web", 80, "targetPort", "Not_A_Name")})
	}, []string{"spec.service.ports[].targetPort: a name must be"}},
	{"targetPort zero", func(o map[string]any) {
		set(o, "spec.service.ports", []any{port("http", 8080, "targetPort", 0)})
	}, []string{"spec.service.ports[0].targetPort", "must be a port number 1-65535"}},
	{"appProtocol and a low nodePort", func(o map[string]any) {
		set(o, "spec.service.type", "NodePort")
		set(o, "spec.service.ports", []any{port("http", 8080, "appProtocol", "http", "nodePort", 8080)})
	}, nil},
	{"nodePort zero", func(o map[string]any) {
		set(o, "spec.service.type", "NodePort")
		set(o, "spec.service.ports", []any{port("http", 8080, "nodePort", 0)})
	}, []string{"spec.service.ports[0].nodePort", "greater than or equal to 1"}},

	// healthCheck
	{"healthCheck paths", func(o map[string]any) {
		set(o, "spec.server.healthCheck", map[string]any{"livenessPath": "/q/health/live",
			"readinessPath": "/q/health/ready", "startupPath": "/q/health/started", "startupTimeoutSeconds": 1200})
	}, nil},
	{"healthCheck relative path", func(o map[string]any) {
		set(o, "spec.server.healthCheck", map[string]any{"livenessPath": "health/live"})
	}, []string{"spec.server.healthCheck.livenessPath", "should match '^/'"}},
	{"healthCheck startup timeout too short", func(o map[string]any) {
		set(o, "spec.server.healthCheck", map[string]any{"startupTimeoutSeconds": 5})
	}, []string{"spec.server.healthCheck.startupTimeoutSeconds", "greater than or equal to 10"}},

	// performanceAnalyzer
	{"performanceAnalyzer", func(o map[string]any) {
		set(o, "spec.server.performanceAnalyzer", map[string]any{"faultVerificationTime": 30, "slowDownMonitor": true, "memoryMonitor": false})
		set(o, "spec.server.env", []any{map[string]any{"name": "JAVA_OPTS", "value": "-Xmx1g"}})
	}, nil},
	{"performanceAnalyzer negative time", func(o map[string]any) {
		set(o, "spec.server.performanceAnalyzer", map[string]any{"faultVerificationTime": -1})
	}, []string{"spec.server.performanceAnalyzer.faultVerificationTime"}},

	// sessionReplication
	{"sessionReplication dns", func(o map[string]any) {
		set(o, "spec.server.sessionReplication", map[string]any{"enabled": true, "useJmxAgent": true, "useAllProcessGroups": false, "discovery": "dns", "port": 7900})
	}, nil},
	{"sessionReplication unknown discovery", func(o map[string]any) {
		set(o, "spec.server.sessionReplication", map[string]any{"enabled": true, "discovery": "multicast"})
	}, []string{"spec.server.sessionReplication.discovery", "Unsupported value"}},
	{"sessionReplication port name taken", func(o map[string]any) {
		set(o, "spec.server.sessionReplication", map[string]any{"enabled": true})
		set(o, "spec.service.ports", []any{port("jgroups", 7800)})
	}, []string{"spec.service.ports: the name jgroups is the session replication port's"}},

	// fileMounts, replacement, persistence
	{"fileMounts", func(o map[string]any) {
		set(o, "spec.server.fileMounts", map[string]any{
			"configMaps": []any{map[string]any{"name": "cfg", "key": "domain.xml", "path": "/opt/app/domain.xml"}},
			"secrets":    []any{map[string]any{"name": "tls", "key": "keystore.p12", "path": "/opt/app/keystore.p12"}},
		})
		set(o, "spec.server.replacement", map[string]any{"persistentVolumeClaimName": "apps"})
		set(o, "spec.server.persistence", map[string]any{"claimName": "data", "mountPath": "/data", "subPath": "a/b", "readOnly": true})
	}, nil},
	{"fileMount relative path", func(o map[string]any) {
		set(o, "spec.server.fileMounts", map[string]any{"configMaps": []any{map[string]any{"name": "cfg", "key": "k", "path": "opt/app/k"}}})
	}, []string{"spec.server.fileMounts[].path must be an absolute file path"}},
	{"fileMount root", func(o map[string]any) {
		set(o, "spec.server.fileMounts", map[string]any{"secrets": []any{map[string]any{"name": "s", "key": "k", "path": "/"}}})
	}, []string{"spec.server.fileMounts.secrets[0].path"}},
	{"fileMount dot-dot", func(o map[string]any) {
		set(o, "spec.server.fileMounts", map[string]any{"configMaps": []any{map[string]any{"name": "cfg", "key": "k", "path": "/opt/../etc/passwd"}}})
	}, []string{"spec.server.fileMounts[].path must be an absolute file path other than / and without '..'"}},
	{"fileMount duplicate path across lists", func(o map[string]any) {
		set(o, "spec.server.fileMounts", map[string]any{
			"configMaps": []any{map[string]any{"name": "cfg", "key": "k", "path": "/opt/app/k"}},
			"secrets":    []any{map[string]any{"name": "s", "key": "k", "path": "/opt/app/k"}},
		})
	}, []string{"spec.server.fileMounts: every path must be unique across configMaps and secrets"}},
	{"fileMount duplicate path in secrets", func(o map[string]any) {
		set(o, "spec.server.fileMounts", map[string]any{"secrets": []any{
			map[string]any{"name": "s", "key": "a", "path": "/k"}, map[string]any{"name": "t", "key": "b", "path": "/k"}}})
	}, []string{"spec.server.fileMounts: every path must be unique"}},
	{"fileMount without key", func(o map[string]any) {
		set(o, "spec.server.fileMounts", map[string]any{"configMaps": []any{map[string]any{"name": "cfg", "path": "/k"}}})
	}, []string{"spec.server.fileMounts.configMaps[0].key", "Required"}},
	{"persistence subPath absolute", func(o map[string]any) {
		set(o, "spec.server.persistence", map[string]any{"claimName": "data", "mountPath": "/data", "subPath": "/etc"})
	}, []string{"spec.server.persistence.subPath must be a relative path"}},
	{"persistence mountPath root", func(o map[string]any) {
		set(o, "spec.server.persistence", map[string]any{"claimName": "data", "mountPath": "/"})
	}, []string{"spec.server.persistence.mountPath must be an absolute path other than /"}},
	{"replacement without claim", func(o map[string]any) {
		set(o, "spec.server.replacement", map[string]any{})
	}, []string{"spec.server.replacement.persistentVolumeClaimName", "Required"}},

	// tracing
	{"tracing jaeger bad propagation", func(o map[string]any) {
		set(o, "spec.server.tracing", map[string]any{"jaeger": map[string]any{"propagation": "zipkin"}})
	}, []string{"spec.server.tracing.jaeger.propagation"}},
	{"tracing jaeger bad samplerType", func(o map[string]any) {
		set(o, "spec.server.tracing", map[string]any{"jaeger": map[string]any{"samplerType": "always"}})
	}, []string{"spec.server.tracing.jaeger.samplerType", "Unsupported value"}},
	{"tracing otlp endpoint not a URL", func(o map[string]any) {
		set(o, "spec.server.tracing", map[string]any{"otlp": map[string]any{"endpoint": "collector:4318"}})
	}, []string{"spec.server.tracing.otlp.endpoint must be an http:// or https:// URL"}},
	{"tracing otlp bad sampler", func(o map[string]any) {
		set(o, "spec.server.tracing", map[string]any{"otlp": map[string]any{"endpoint": "http://c:4318", "sampler": "ratio"}})
	}, []string{"spec.server.tracing.otlp.sampler", "Unsupported value"}},
	{"tracing both", func(o map[string]any) {
		set(o, "spec.server.tracing", map[string]any{
			"jaeger": map[string]any{"propagation": "b3,w3c", "samplerType": "const", "samplerParam": "1", "agentPort": "6831"},
			"otlp":   map[string]any{"endpoint": "https://c:4318", "protocol": "grpc", "headersSecret": map[string]any{"name": "s", "key": "h"}},
		})
	}, nil},
}
