//go:build integration

package controller_test

// lifecycleAdmissionCases are the admission rows of issue 11 (run by
// TestAdmissionRejectsInvalidObjects).
var lifecycleAdmissionCases = []admissionCase{
	{"drain not shorter than the grace period", func(o map[string]any) {
		set(o, "spec.deployment.terminationGracePeriodSeconds", 20)
		set(o, "spec.deployment.shutdown.drainSeconds", 20)
	}, []string{"spec.deployment.terminationGracePeriodSeconds (30 when unset) must be greater than spec.deployment.shutdown.drainSeconds"}},
	{"drain not shorter than the default grace period", func(o map[string]any) {
		set(o, "spec.deployment.shutdown.drainSeconds", 30)
	}, []string{"must be greater than spec.deployment.shutdown.drainSeconds"}},
	{"init container named server", func(o map[string]any) {
		set(o, "spec.deployment.initContainers", []any{map[string]any{"name": "server", "image": "busybox"}})
	}, []string{"spec.deployment.initContainers[].name: server, log-shipper and wait-for are the operator's container names"}},
	{"sidecar named wait-for", func(o map[string]any) {
		set(o, "spec.deployment.sidecars", []any{map[string]any{"name": "wait-for", "image": "busybox"}})
	}, []string{"spec.deployment.sidecars[].name: server, log-shipper and wait-for"}},
	{"sidecar named log-shipper", func(o map[string]any) {
		set(o, "spec.deployment.sidecars", []any{map[string]any{"name": "log-shipper", "image": "busybox"}})
	}, []string{"spec.deployment.sidecars[].name"}},
	{"volume with the operator's prefix", func(o map[string]any) {
		set(o, "spec.deployment.volumes", []any{map[string]any{"name": "appserver-logs", "emptyDir": map[string]any{}}})
	}, []string{"spec.deployment.volumes[].name: names starting with appserver- are reserved"}},
	{"dependsOn entry with two kinds", func(o map[string]any) {
		set(o, "spec.dependsOn", []any{map[string]any{"tcp": "db:5432", "applicationServer": "db"}})
	}, []string{"spec.dependsOn[]: set exactly one of tcp, http and applicationServer"}},
	{"dependsOn entry empty", func(o map[string]any) {
		set(o, "spec.dependsOn", []any{map[string]any{"timeoutSeconds": 5}})
	}, []string{"spec.dependsOn[]: set exactly one"}},
	{"dependsOn tcp without port", func(o map[string]any) {
		set(o, "spec.dependsOn", []any{map[string]any{"tcp": "db"}})
	}, []string{"spec.dependsOn[].tcp must be host:port"}},
	{"dependsOn http url not http", func(o map[string]any) {
		set(o, "spec.dependsOn", []any{map[string]any{"http": map[string]any{"url": "ftp://x"}}})
	}, []string{"spec.dependsOn[].http.url must start with http:// or https://"}},
	{"dependsOn timeout zero", func(o map[string]any) {
		set(o, "spec.dependsOn", []any{map[string]any{"tcp": "db:1", "timeoutSeconds": 0}})
	}, []string{"spec.dependsOn[0].timeoutSeconds"}},
	{"networkPolicy peer empty", func(o map[string]any) {
		set(o, "spec.networkPolicy", map[string]any{"enabled": true, "from": []any{map[string]any{}}})
	}, []string{"spec.networkPolicy.from[]: set namespaceSelector, podSelector or both"}},
}
