package resources

import (
	"fmt"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/yaml"

	"github.com/appserver-operator/appserver-operator/api/v1alpha1"
)

// FuzzLogShipperConfig builds the log shipper's collector config from
// logShipper specs of the shape admission lets through: the string fields
// the CRD constrains (host, path, index, endpoint, log paths, the server's
// name) are kept only when they pass the CRD's own patterns and lengths,
// read from the generated CRD, or the CEL rules of LogPath; the free ones
// (extra attributes, the multi-line pattern) are taken as they come. For
// each, the config must be YAML, hold a pipeline whose every component is
// defined, give the collector a memory limiter it accepts and endpoints it
// can parse as URLs, and carry every
// value of the user's literally: after the collector's own unescaping
// ($$ → $), each is the user's text, and no ${...} is left for the
// collector to expand but the operator's own env references.
//
// CI runs it for 10 s: go test -run '^$' -fuzz FuzzLogShipperConfig -fuzztime 10s ./internal/resources/
func FuzzLogShipperConfig(f *testing.F) {
	schema := logShipperSchema(f)
	f.Add(uint8(0), "", "", "", uint16(0), "", uint8(0), "", "/opt/app/logs/server.log", "team", "web", "shop", uint32(0))
	f.Add(uint8(1), "logs.example.com", "/insert/elasticsearch/", "webotx", uint16(9428), "", uint8(0b1111_1111), `^\d{2}:`, "/var/log/a*.log", "literal", "${env:HOME}", "es", uint32(48))
	f.Add(uint8(1), "fd00::1", "", "", uint16(0), "", uint8(0b0000_0100), "", "/logs/x.log", "$", "$$", "v6", uint32(1))
	f.Add(uint8(2), "", "", "", uint16(0), "http://loki.logging:3100/otlp", uint8(0b0001_0000), "", "/logs/server.log", "k", "v", "otlp", uint32(0))
	f.Add(uint8(2), "", "", "", uint16(0), "https://collector:4317", uint8(0b0011_0000), "[", "/logs/server.log", "", "", "grpc", uint32(4096))
	// Counterexamples the fuzzer found: the CRD admitted them, the collector
	// cannot parse the URL. Admission now rejects them (the path pattern,
	// isIP on the host, isURL on the endpoint); here they stand in for
	// their fields' defaults.
	f.Add(uint8(1), "es", "/%zz", "", uint16(0), "", uint8(0), "", "/logs/server.log", "", "", "pct", uint32(0))
	f.Add(uint8(2), "", "", "", uint16(0), "http://[::1", uint8(0), "", "/logs/server.log", "", "", "bracket", uint32(0))
	f.Add(uint8(1), "a:b", "", "", uint16(0), "", uint8(0), "", "/logs/server.log", "", "", "colon", uint32(0))

	f.Fuzz(func(t *testing.T, dest uint8, host, esPath, index string, port uint16, endpoint string, flags uint8,
		pattern, logPath, attrKey, attrVal, name string, memMiB uint32,
	) {
		bit := func(n uint) bool { return flags&(1<<n) != 0 }
		// The API server decodes JSON: a string is valid UTF-8 by then.
		pattern, attrKey, attrVal = validUTF8(pattern), validUTF8(attrKey), validUTF8(attrVal)
		host, esPath, index, endpoint = validUTF8(host), validUTF8(esPath), validUTF8(index), validUTF8(endpoint)
		logPath, name = validUTF8(logPath), validUTF8(name)
		if !schema.admits("name", name) {
			name = "fuzz"
		}
		if !schema.admits("logPath", logPath) {
			logPath = "/opt/app/logs/server.log"
		}
		as := server(name, func(as *v1alpha1.ApplicationServer) {
			as.Spec.Server.Application = &v1alpha1.ApplicationSpec{Logs: []v1alpha1.LogPath{v1alpha1.LogPath(logPath), "/var/log/extra/other.log"}}
		})
		ls := &v1alpha1.LogShipperSpec{ExtraAttributes: map[string]string{attrKey: attrVal}}
		if pattern != "" && utf8.RuneCountInString(pattern) <= 1024 {
			ls.Multiline = &v1alpha1.MultilineSpec{LineStartPattern: pattern}
		}
		switch dest % 3 {
		case 1:
			es := &v1alpha1.ElasticsearchSpec{Host: host, Port: int32(port), Path: esPath, Index: index}
			if !schema.admits("host", host) {
				es.Host = "es.example"
			}
			if port == 0 {
				es.Port = 9200 // the CRD's default
			}
			if !schema.admits("path", esPath) {
				es.Path = ""
			}
			if !schema.admits("index", index) {
				es.Index = "appserver" // the CRD's default
			}
			if bit(0) {
				es.TLS = &v1alpha1.ElasticsearchTLS{Enabled: ptr.To(bit(1)), Verification: ptr.To(bit(2))}
				if bit(1) && bit(3) { // cacert requires tls.enabled
					es.TLS.CACert = &v1alpha1.CACertSpec{Secret: v1alpha1.SecretKey{Name: "ca", Key: "ca.crt"}}
				}
			}
			if bit(4) { // secretName is required when enabled
				es.Auth = &v1alpha1.ElasticsearchAuth{Enabled: ptr.To(bit(5) || bit(6)), SecretName: "auth"}
			}
			ls.Elasticsearch = es
		case 2:
			o := &v1alpha1.OTLPSpec{Endpoint: endpoint, Protocol: "http/protobuf"}
			if !schema.admits("endpoint", endpoint) {
				o.Endpoint = "http://otel.example:4318"
			}
			if bit(5) {
				o.Protocol = "grpc"
			}
			if bit(4) {
				o.HeadersSecret = "otlp-headers"
			}
			ls.OTLP = o
		}
		as.Spec.Deployment.LogShipper = ls
		if bit(7) {
			as.Spec.Deployment.Resources = &v1alpha1.ContainerResources{LogShipper: &corev1.ResourceRequirements{
				Limits: corev1.ResourceList{corev1.ResourceMemory: *resource.NewQuantity(int64(memMiB)<<20, resource.BinarySI)}}}
		}

		out := LogShipperConfig(as)
		checkLogShipperConfig(t, as, out)
		if again := LogShipperConfig(as); again != out {
			t.Fatalf("the config is not a pure function of the spec")
		}
	})
}

// envRefs are the ${env:...} the operator puts in the config itself.
var envRefs = []string{LogShipperEnvNamespace, LogShipperEnvPodName, LogShipperEnvNodeName, LogShipperEnvPodIP,
	LogShipperEnvESUser, LogShipperEnvESPassword, LogShipperEnvOTLPHeader}

// unescape is the collector's reading of a literal: $$ → $.
func unescape(s string) string { return strings.ReplaceAll(s, "$$", "$") }

func checkLogShipperConfig(t *testing.T, as *v1alpha1.ApplicationServer, out string) {
	t.Helper()
	var cfg map[string]any
	if err := yaml.Unmarshal([]byte(out), &cfg); err != nil {
		t.Fatalf("the config is not YAML: %v\n%s", err, out)
	}
	fail := func(format string, args ...any) {
		t.Helper()
		t.Fatalf(format+"\nconfig:\n%s", append(args, out)...)
	}
	get := func(path ...string) any {
		var v any = cfg
		for _, p := range path {
			m, ok := v.(map[string]any)
			if !ok {
				fail("%s: not a map", strings.Join(path, "."))
			}
			v = m[p]
		}
		return v
	}
	str := func(path ...string) string {
		s, ok := get(path...).(string)
		if !ok {
			fail("%s: not a string: %v", strings.Join(path, "."), get(path...))
		}
		return s
	}

	// Every component the pipeline names is defined, and so are the
	// service's extensions; the exporter is the one the spec asks for.
	pipeline, _ := get("service", "pipelines", "logs").(map[string]any)
	if pipeline == nil {
		fail("no service.pipelines.logs")
	}
	for section, key := range map[string]string{"receivers": "receivers", "processors": "processors", "exporters": "exporters"} {
		names, _ := pipeline[key].([]any)
		if len(names) == 0 && section != "processors" {
			fail("pipeline has no %s", key)
		}
		defined, _ := get(section).(map[string]any)
		for _, n := range names {
			if _, ok := defined[fmt.Sprint(n)]; !ok {
				fail("pipeline names %s %v, which %s does not define", key, n, section)
			}
		}
	}
	exts, _ := get("service", "extensions").([]any)
	for _, e := range exts {
		if _, ok := get("extensions").(map[string]any)[fmt.Sprint(e)]; !ok {
			fail("service names extension %v, which is not defined", e)
		}
	}
	ls := logShipperSpec(as)
	wantExporter := "debug"
	switch {
	case ls.Elasticsearch != nil:
		wantExporter = "elasticsearch"
	case ls.OTLP != nil && ls.OTLP.Protocol == "grpc":
		wantExporter = "otlp_grpc"
	case ls.OTLP != nil:
		wantExporter = "otlp_http"
	}
	if exps, _ := get("exporters").(map[string]any); len(exps) != 1 || exps[wantExporter] == nil {
		fail("exporters %v, want exactly %s", exps, wantExporter)
	}

	// The memory limiter refuses a spike limit not below the limit.
	limit, _ := get("processors", "memory_limiter", "limit_mib").(float64)
	spike, _ := get("processors", "memory_limiter", "spike_limit_mib").(float64)
	if limit <= 0 || spike <= 0 || spike >= limit {
		fail("memory_limiter limit_mib %v spike_limit_mib %v: want 0 < spike < limit", limit, spike)
	}

	// Literal values come back as the user wrote them.
	include, _ := get("receivers", "file_log", "include").([]any)
	if len(include) != len(as.Spec.Server.Application.Logs) {
		fail("include %v, want the %d log paths", include, len(as.Spec.Server.Application.Logs))
	}
	for i, p := range as.Spec.Server.Application.Logs {
		if unescape(fmt.Sprint(include[i])) != string(p) {
			fail("include[%d] %q, want %q", i, include[i], p)
		}
	}
	wantPattern := DefaultMultilinePattern
	if ls.Multiline != nil {
		wantPattern = ls.Multiline.LineStartPattern
	}
	if got := unescape(str("receivers", "file_log", "multiline", "line_start_pattern")); got != wantPattern {
		fail("line_start_pattern %q, want %q", got, wantPattern)
	}
	attrs := map[string]string{}
	list, _ := get("processors", "resource", "attributes").([]any)
	for _, a := range list {
		m, _ := a.(map[string]any)
		if m["action"] != "upsert" {
			fail("resource attribute %v: action, want upsert", m)
		}
		attrs[unescape(fmt.Sprint(m["key"]))] = fmt.Sprint(m["value"])
	}
	for k, v := range ls.ExtraAttributes {
		if slices.Contains([]string{"k8s.namespace.name", "k8s.pod.name", "k8s.node.name", "k8s.pod.ip", "service.name"}, k) {
			continue // the operator's attributes come first; a user's of the same key follows and wins at upsert
		}
		if got, ok := attrs[k]; !ok || unescape(got) != v {
			fail("extra attribute %q = %q, want %q", k, got, v)
		}
	}
	switch wantExporter {
	case "elasticsearch":
		es := ls.Elasticsearch
		eps, _ := get("exporters", "elasticsearch", "endpoints").([]any)
		if len(eps) != 1 {
			fail("elasticsearch endpoints %v, want one", eps)
		}
		u, err := url.Parse(unescape(fmt.Sprint(eps[0])))
		if err != nil || u.Hostname() != es.Host || u.Port() != strconv.Itoa(int(es.Port)) ||
			(u.Scheme != "http" && u.Scheme != "https") || u.EscapedPath() != strings.TrimSuffix(es.Path, "/") {
			fail("elasticsearch endpoint %v (%v), want host %q port %d path %q", eps[0], err, es.Host, es.Port, es.Path)
		}
		if got := unescape(str("exporters", "elasticsearch", "index")); got != es.Index {
			fail("index %q, want %q", got, es.Index)
		}
	case "otlp_http", "otlp_grpc":
		got := unescape(str("exporters", wantExporter, "endpoint"))
		if got != ls.OTLP.Endpoint {
			fail("endpoint %q, want %q", got, ls.OTLP.Endpoint)
		}
		// The exporters parse it as a URL.
		if u, err := url.Parse(got); err != nil || u.Host == "" {
			fail("endpoint %q is not a URL with a host: %v", got, err)
		}
	}

	// Nothing is left for the collector to expand but the operator's own
	// references: drop the escaped $$, then every ${ must be one of them.
	rest := strings.ReplaceAll(out, "$$", "")
	for _, ref := range envRefs {
		rest = strings.ReplaceAll(rest, "${env:"+ref+"}", "")
	}
	if i := strings.Index(rest, "$"); i >= 0 {
		fail("an unescaped $ the collector would expand, at %q", rest[i:min(i+40, len(rest))])
	}
}

func validUTF8(s string) string { return strings.ToValidUTF8(s, "\uFFFD") }

// crdSchema holds the CRD's constraints of the fields the fuzzer varies.
type crdSchema struct {
	patterns map[string]*regexp.Regexp
	maxLen   map[string]int
}

// logShipperSchema reads the patterns and lengths from the generated CRD,
// so that the fuzzer follows the schema as it changes.
func logShipperSchema(tb testing.TB) *crdSchema {
	tb.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "..", "config", "crd", "bases", "appserver.dev_applicationservers.yaml"))
	if err != nil {
		tb.Fatal(err)
	}
	var crd map[string]any
	if err := yaml.Unmarshal(raw, &crd); err != nil {
		tb.Fatal(err)
	}
	walk := func(v any, path ...string) map[string]any {
		for _, p := range path {
			m, ok := v.(map[string]any)
			if !ok {
				tb.Fatalf("CRD: no %s", strings.Join(path, "."))
			}
			v = m[p]
		}
		m, ok := v.(map[string]any)
		if !ok {
			tb.Fatalf("CRD: no %s", strings.Join(path, "."))
		}
		return m
	}
	spec := walk(crd["spec"].(map[string]any)["versions"].([]any)[0], "schema", "openAPIV3Schema", "properties", "spec", "properties")
	ls := walk(spec, "deployment", "properties", "logShipper", "properties")
	fields := map[string]map[string]any{
		"host":     walk(ls, "elasticsearch", "properties", "host"),
		"path":     walk(ls, "elasticsearch", "properties", "path"),
		"index":    walk(ls, "elasticsearch", "properties", "index"),
		"endpoint": walk(ls, "otlp", "properties", "endpoint"),
		"logPath":  walk(spec, "server", "properties", "application", "properties", "logs", "items"),
	}
	s := &crdSchema{patterns: map[string]*regexp.Regexp{}, maxLen: map[string]int{}}
	for name, f := range fields {
		if p, ok := f["pattern"].(string); ok {
			s.patterns[name] = regexp.MustCompile(p)
		}
		if n, ok := f["maxLength"].(float64); ok {
			s.maxLen[name] = int(n)
		} else {
			tb.Fatalf("CRD: %s has no maxLength", name)
		}
	}
	return s
}

// admits reports whether the CRD lets value through as the named field.
// The CEL rules (x-kubernetes-validations) are mirrored here: LogPath's,
// the host's isIP and the endpoint's isURL (Kubernetes' CEL libraries use
// net/netip and url.ParseRequestURI).
func (s *crdSchema) admits(field, value string) bool {
	switch field {
	case "name":
		return len(validation.IsDNS1123Subdomain(value)) == 0
	case "host":
		if strings.Contains(value, ":") {
			if a, err := netip.ParseAddr(value); err != nil || a.Zone() != "" {
				return false
			}
		}
	case "endpoint":
		if _, err := url.ParseRequestURI(value); err != nil {
			return false
		}
	case "logPath":
		dir := value[:max(strings.LastIndex(value, "/"), 0)]
		if len(value) < 2 || !strings.HasPrefix(value, "/") || strings.HasSuffix(value, "/") ||
			regexp.MustCompile(`(^|/)\.\.?(/|$)`).MatchString(value) || strings.Contains(value, "//") ||
			strings.Contains(dir, "*") || strings.LastIndex(value, "/") < 1 {
			return false
		}
	}
	if n, ok := s.maxLen[field]; ok && utf8.RuneCountInString(value) > n {
		return false
	}
	if re, ok := s.patterns[field]; ok && !re.MatchString(value) {
		return false
	}
	return true
}
