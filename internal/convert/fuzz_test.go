package convert

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/appserver-operator/appserver-operator/api/v1alpha1"
)

// FuzzConvert: no input makes Convert panic, and what it converts without
// a loss decodes strictly as our ApplicationServer.
//
// CI runs it for 10s: go test -run '^$' -fuzz FuzzConvert -fuzztime 10s ./internal/convert/
func FuzzConvert(f *testing.F) {
	// Small seeds: the fuzzer minimizes every new input it finds, which is
	// slow for the 200-line advanced templates.
	for _, in := range inputs(f) {
		if strings.HasPrefix(filepath.Base(in), "advanced-") {
			continue
		}
		raw, err := os.ReadFile(in)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(raw)
	}
	f.Add([]byte(doc("  horizontalPodAutoscaler:\n    enabled: true\n")))
	f.Add([]byte(doc("  webotx:\n    jaeger:\n      agentPort: 6831\n    fileMounts:\n      secrets:\n      - {name: a, key: b, path: /c}\n")))
	f.Add([]byte("apiVersion: v1\nkind: List\nitems:\n- apiVersion: webotx.nec.com/v3\n  kind: ApplicationServer\n  spec: {service: {ports: [{port: 80}]}}\n"))

	f.Fuzz(func(t *testing.T, data []byte) {
		res, err := Convert(data)
		if err != nil {
			return
		}
		// One document, converted without a loss: it must be ours.
		if res.Losses() > 0 || res.Converted != 1 || strings.Contains(string(res.Output), "---\n") || strings.Contains(string(res.Output), "kind: List") {
			return
		}
		var as v1alpha1.ApplicationServer
		if err := yaml.UnmarshalStrict(res.Output, &as); err != nil {
			t.Errorf("converted without a loss, yet not an ApplicationServer: %v\n%s", err, res.Output)
		}
	})
}
