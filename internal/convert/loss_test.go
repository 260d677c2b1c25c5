package convert

import (
	"slices"
	"strings"
	"testing"
)

// doc is a minimal WebOTX v4 ApplicationServer with extra YAML under spec
// (indented two spaces).
func doc(spec string) string {
	return "apiVersion: webotx.nec.com/v4\nkind: ApplicationServer\nmetadata:\n  name: shop\nspec:\n" +
		"  deployment:\n    replicas: 1\n    image: registry.example.com/app:1\n" + spec
}

// TestLosses: what cannot be carried is reported, one finding per WebOTX
// path, and is not in the output.
func TestLosses(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     []string // loss paths
		absent   string   // a string the output must not hold
	}{
		{"restart policy other than Always", strings.Replace(doc(""), "replicas: 1", "replicas: 1\n    restartPolicy: OnFailure", 1),
			[]string{"spec.deployment.restartPolicy"}, "OnFailure"},
		{"unknown field", doc("  webotx:\n    metering:\n      enabled: true\n      intervalSeconds: 30\n"),
			[]string{"spec.webotx.metering.intervalSeconds"}, "intervalSeconds"},
		{"unknown top-level block", doc("  route:\n    host: shop.example.com\n"),
			[]string{"spec.route"}, "shop.example.com"},
		{"Logstash probes", strings.Replace(doc(""), "replicas: 1", "replicas: 1\n    readinessProbe:\n      logstash:\n        httpGet:\n          port: 9600\n    livenessProbe:\n      logstash:\n        tcpSocket:\n          port: 9600", 1),
			[]string{"spec.deployment.livenessProbe.logstash", "spec.deployment.readinessProbe.logstash"}, "9600"},
		{"two targets for one resource", doc("  horizontalPodAutoscaler:\n    enabled: true\n    maxReplicas: 3\n    resourceMetrics:\n      cpuAverageUtilization: 70\n      cpuAverageValue: 500m\n"),
			[]string{"spec.horizontalPodAutoscaler.resourceMetrics.cpuAverageValue"}, "500m"},
		{"wrong type", doc("  webotx:\n    metering:\n      enabled: \"yes\"\n      port: https\n"),
			[]string{"spec.webotx.metering.enabled", "spec.webotx.metering.port"}, "metering"},
		{"a probe with a field Kubernetes does not have", strings.Replace(doc(""), "replicas: 1", "replicas: 1\n    readinessProbe:\n      webotx:\n        periodseconds: 10\n        exec:\n          command: [true]", 1),
			[]string{"spec.deployment.readinessProbe.webotx"}, "periodseconds"},
		{"a quantity that is not one", strings.Replace(doc(""), "replicas: 1", "replicas: 1\n    resources:\n      webotx:\n        limits:\n          cpu: REPLACE_CPU_LIMIT", 1),
			[]string{"spec.deployment.resources.webotx"}, "REPLACE"},
		{"a value outside our enum", doc("  service:\n    type: ExternalName\n"),
			[]string{"spec.service.type"}, "ExternalName"},
		{"hostname spelt twice, differently", strings.Replace(doc(""), "replicas: 1", "replicas: 1\n    hostname: a\n    hostName: b", 1),
			[]string{"spec.deployment.hostName"}, "hostname: b"},
		{"a name that is no DNS-1035 label", strings.Replace(doc(""), "name: shop", "name: 1shop.example", 1),
			[]string{"metadata.name"}, ""},
		{"owner references and finalizers", strings.Replace(doc(""), "name: shop", "name: shop\n  finalizers: [webotx.nec.com/cleanup]\n  ownerReferences:\n  - {apiVersion: v1, kind: ConfigMap, name: x, uid: \"1\"}", 1),
			[]string{"metadata.finalizers", "metadata.ownerReferences"}, "webotx.nec.com/cleanup"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := Convert([]byte(tc.in))
			if err != nil {
				t.Fatalf("Convert: %v", err)
			}
			var got []string
			for _, f := range res.Findings {
				if f.Loss {
					got = append(got, f.Path)
					if !strings.HasPrefix(f.String(), "document 1 (") || f.Reason == "" {
						t.Errorf("finding %q: want the object and a reason", f)
					}
				}
			}
			slices.Sort(got)
			if !slices.Equal(got, tc.want) {
				t.Errorf("losses at %v, want %v (findings: %v)", got, tc.want, res.Findings)
			}
			if tc.absent != "" && strings.Contains(string(res.Output), tc.absent) {
				t.Errorf("output holds %q:\n%s", tc.absent, res.Output)
			}
		})
	}
}

// TestDefaultsWrittenOut: WebOTX's defaults that differ from ours appear in
// the output, each with a note.
func TestDefaultsWrittenOut(t *testing.T) {
	res, err := Convert([]byte(doc("  horizontalPodAutoscaler:\n    enabled: true\n")))
	if err != nil {
		t.Fatal(err)
	}
	out := string(res.Output)
	for _, want := range []string{"maxReplicas: 1", "cpuAverageUtilization: 80"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if res.Losses() != 0 || len(res.Findings) != 2 {
		t.Errorf("findings %v, want two notes", res.Findings)
	}
}

// TestStreams: several documents, Lists, other objects passed through, and
// input that cannot be read.
func TestStreams(t *testing.T) {
	cm := "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: shop-env\ndata:\n  A: b\n"
	res, err := Convert([]byte(cm + "---\n# only a comment\n---\n" + doc("") + "---\n" + strings.Replace(doc(""), "name: shop", "name: cart", 1)))
	if err != nil {
		t.Fatal(err)
	}
	docs := strings.Split(string(res.Output), "---\n")
	if res.Converted != 2 || len(docs) != 3 {
		t.Fatalf("converted %d, %d documents out:\n%s", res.Converted, len(docs), res.Output)
	}
	if !strings.Contains(docs[0], "kind: ConfigMap") || !strings.Contains(docs[2], "name: cart") || !strings.Contains(docs[1], "apiVersion: appserver.dev/v1alpha1") {
		t.Errorf("documents out of order or not converted:\n%s", res.Output)
	}

	list := "apiVersion: v1\nkind: List\nitems:\n- " + strings.ReplaceAll(strings.TrimSuffix(doc(""), "\n"), "\n", "\n  ") + "\n- " + strings.ReplaceAll(strings.TrimSuffix(cm, "\n"), "\n", "\n  ") + "\n"
	res, err = Convert([]byte(list))
	if err != nil {
		t.Fatal(err)
	}
	if res.Converted != 1 || !strings.Contains(string(res.Output), "kind: List") || !strings.Contains(string(res.Output), "appserver.dev/v1alpha1") || !strings.Contains(string(res.Output), "kind: ConfigMap") {
		t.Errorf("List not converted item by item:\n%s", res.Output)
	}
	res, err = Convert([]byte(strings.Replace(strings.Replace(list, "apiVersion: v1\nkind: List", "apiVersion: webotx.nec.com/v4\nkind: ApplicationServerList", 1), "restartPolicy", "", 1)))
	if err != nil || res.Converted != 1 {
		t.Errorf("ApplicationServerList: converted %d, err %v", res.Converted, err)
	}

	for _, bad := range []string{
		"a: [",                                   // not YAML
		"- just\n- a list\n",                     // not an object
		strings.Replace(doc(""), "v4", "v9", 1),  // unknown version
		"apiVersion: v1\nkind: List\nitems: 3\n", // items not a list
		"a: 1\na: 2\n",                           // duplicate key
	} {
		if _, err := Convert([]byte(bad)); err == nil {
			t.Errorf("Convert(%q): no error", bad)
		}
	}
}
