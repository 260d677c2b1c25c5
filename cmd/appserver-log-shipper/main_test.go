package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/otelcol"
)

// goldenConfigs are the collector configs the operator's builders generate
// (internal/resources/testdata/logshipper, written by go test -update there).
const goldenConfigs = "../../internal/resources/testdata/logshipper"

// TestGoldenConfigsValidate runs `appserver-log-shipper validate --config`
// (the same command, in process) on every config the operator generates: a
// config the operator writes always loads in the shipper it ships.
func TestGoldenConfigsValidate(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(goldenConfigs, "*.config.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	// The downward-API variables the operator gives the sidecar: the
	// resource processor refuses an empty value.
	for _, e := range []string{"K8S_NAMESPACE_NAME", "K8S_POD_NAME", "K8S_NODE_NAME", "K8S_POD_IP"} {
		t.Setenv(e, "x")
	}
	if len(files) < 6 {
		t.Fatalf("found %d golden configs in %s, want the operator's 6 or more", len(files), goldenConfigs)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			cmd := otelcol.NewCommand(settings())
			cmd.SetArgs([]string{"validate", "--config=" + f})
			if err := cmd.Execute(); err != nil {
				t.Fatalf("validate %s: %v", f, err)
			}
		})
	}
}

// TestValidateRejectsABadConfig shows the validation above can fail.
func TestValidateRejectsABadConfig(t *testing.T) {
	for name, cfg := range map[string]string{
		"unknown exporter":           "receivers: {filelog: {include: [/x.log]}}\nexporters: {nope: {}}\nservice: {pipelines: {logs: {receivers: [filelog], exporters: [nope]}}}\n",
		"internal metrics asked for": "receivers: {filelog: {include: [/x.log]}}\nexporters: {debug: {}}\nservice: {telemetry: {metrics: {level: basic}}, pipelines: {logs: {receivers: [filelog], exporters: [debug]}}}\n",
		"unknown log encoding":       "receivers: {filelog: {include: [/x.log]}}\nexporters: {debug: {}}\nservice: {telemetry: {logs: {encoding: xml}}, pipelines: {logs: {receivers: [filelog], exporters: [debug]}}}\n",
		"unknown telemetry setting":  "receivers: {filelog: {include: [/x.log]}}\nexporters: {debug: {}}\nservice: {telemetry: {traces: {level: basic}}, pipelines: {logs: {receivers: [filelog], exporters: [debug]}}}\n",
		"elasticsearch, no index":    "receivers: {filelog: {include: [/x.log]}}\nexporters: {elasticsearch: {endpoints: [http://127.0.0.1:9200], index: \"\"}}\nservice: {pipelines: {logs: {receivers: [filelog], exporters: [elasticsearch]}}}\n",
	} {
		t.Run(name, func(t *testing.T) {
			f := filepath.Join(t.TempDir(), "config.yaml")
			if err := os.WriteFile(f, []byte(cfg), 0o600); err != nil {
				t.Fatal(err)
			}
			cmd := otelcol.NewCommand(settings())
			cmd.SetArgs([]string{"validate", "--config=" + f})
			cmd.SilenceUsage = true
			if err := cmd.Execute(); err == nil {
				t.Fatal("validate accepted a bad config")
			}
		})
	}
}

// TestComponents lists what the distribution must carry: what the
// operator's configs use, and nothing else.
func TestComponents(t *testing.T) {
	f, err := components()
	if err != nil {
		t.Fatal(err)
	}
	names := func(keys []string) string { return strings.Join(keys, " ") }
	got := slices.Concat(named("receiver", f.Receivers), named("processor", f.Processors),
		named("exporter", f.Exporters), named("extension", f.Extensions))
	want := []string{
		"receiver/file_log", "processor/memory_limiter", "processor/resource",
		"exporter/elasticsearch", "exporter/otlp_http", "exporter/otlp_grpc", "exporter/debug",
		"extension/file_storage",
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("the shipper has %s, want %s", names(got), names(want))
	}
}

// named lists the components of a factory map as kind/type, leaving out
// aliases (filelog for file_log).
func named[F interface{ Type() component.Type }](kind string, m map[component.Type]F) []string {
	var out []string
	for k, f := range m {
		if f.Type() == k {
			out = append(out, kind+"/"+k.String())
		}
	}
	return out
}
