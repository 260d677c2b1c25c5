package resources

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"path"
	"slices"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/yaml"

	"github.com/appserver-operator/appserver-operator/api/v1alpha1"
	"github.com/appserver-operator/appserver-operator/internal/settings"
)

// The log shipper: when server.application.logs is set, the pod gets the
// appserver-log-shipper sidecar (cmd/appserver-log-shipper, an OpenTelemetry
// Collector distribution), an emptyDir per log directory shared with the
// server, an emptyDir for its offsets and send queue, and the <name>-logshipper
// ConfigMap holding its config. docs/logging.md describes it for users.

// Paths inside the log-shipper container.
const (
	LogShipperConfigDir  = "/etc/log-shipper"
	LogShipperConfigFile = "config.yaml"
	LogShipperCADir      = "/etc/log-shipper/ca"
	LogShipperCAFile     = "ca.crt"
	LogShipperOffsetsDir = "/var/lib/log-shipper"
)

// ComponentLogShipper is the component label of the ConfigMap.
const ComponentLogShipper = "log-shipper"

// DefaultMultilinePattern starts a record at a line that begins with a date
// and time (ISO 8601, yyyy-MM-dd HH:mm:ss, yyyy/MM/dd HH:mm:ss as WebOTX's
// log4j layouts write, dd-MMM-yyyy HH:mm:ss, "MMM d, yyyy h:mm:ss"), possibly
// in brackets, or with a [LEVEL]: the lines of a Java stack trace that follow
// belong to the record.
const DefaultMultilinePattern = `^(\[?\d{4}[-/]\d{2}[-/]\d{2}[ T]\d{2}:\d{2}:\d{2}` +
	`|\[?\d{2}-[A-Z][a-z]{2}-\d{4} \d{2}:\d{2}:\d{2}` +
	`|[A-Z][a-z]{2} \d{1,2}, \d{4} \d{1,2}:\d{2}:\d{2}` +
	`|\[(TRACE|DEBUG|INFO|NOTICE|WARN|WARNING|ERROR|SEVERE|FATAL|CONFIG|FINE|FINER|FINEST)\])`

// Default resources of the sidecar (docs/logging.md, "Sizing").
var (
	logShipperDefaultCPURequest    = resource.MustParse("20m")
	logShipperDefaultMemoryRequest = resource.MustParse("64Mi")
	logShipperDefaultMemoryLimit   = resource.MustParse("128Mi")
)

// LogShipperEnabled reports whether the server gets the log-shipper sidecar.
func LogShipperEnabled(as *v1alpha1.ApplicationServer) bool {
	return as.Spec.Server.Application != nil && len(as.Spec.Server.Application.Logs) > 0
}

// LogShipperConfigMapName is the name of the ConfigMap with the shipper's config.
func LogShipperConfigMapName(as *v1alpha1.ApplicationServer) string {
	return as.Name + "-logshipper"
}

// LogShipperConfigMap builds the ConfigMap holding the shipper's config, or
// nil when the server has no log shipper.
func LogShipperConfigMap(as *v1alpha1.ApplicationServer) *corev1.ConfigMap {
	if !LogShipperEnabled(as) {
		return nil
	}
	return &corev1.ConfigMap{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
		ObjectMeta: objectMeta(as, LogShipperConfigMapName(as), ComponentLogShipper, nil),
		Data:       map[string]string{LogShipperConfigFile: LogShipperConfig(as)},
	}
}

func logShipperSpec(as *v1alpha1.ApplicationServer) v1alpha1.LogShipperSpec {
	if s := as.Spec.Deployment.LogShipper; s != nil {
		return *s
	}
	return v1alpha1.LogShipperSpec{}
}

// LogShipperConfig is the shipper's collector config for as: a pure function
// of the spec. Secrets are referenced as ${env:...}; the container gets them
// from secretKeyRef. Literal values are escaped ($ → $$) so that the
// collector never expands a user's text.
func LogShipperConfig(as *v1alpha1.ApplicationServer) string {
	ls := logShipperSpec(as)
	pattern := DefaultMultilinePattern
	if ls.Multiline != nil && ls.Multiline.LineStartPattern != "" {
		pattern = ls.Multiline.LineStartPattern
	}
	include := make([]any, 0, len(as.Spec.Server.Application.Logs))
	for _, p := range as.Spec.Server.Application.Logs {
		include = append(include, escape(string(p)))
	}

	attrs := []any{
		upsert("k8s.namespace.name", envRef(LogShipperEnvNamespace)),
		upsert("k8s.pod.name", envRef(LogShipperEnvPodName)),
		upsert("k8s.node.name", envRef(LogShipperEnvNodeName)),
		upsert("k8s.pod.ip", envRef(LogShipperEnvPodIP)),
		upsert("service.name", escape(as.Name)),
	}
	for _, k := range slices.Sorted(maps.Keys(ls.ExtraAttributes)) {
		attrs = append(attrs, upsert(escape(k), escape(ls.ExtraAttributes[k])))
	}

	exporterName, exporter := logShipperExporter(ls)
	memLimit := logShipperMemoryLimit(as)
	memLimitMiB := memLimit.Value() >> 20
	cfg := map[string]any{
		"extensions": map[string]any{
			"file_storage": map[string]any{
				"directory":        LogShipperOffsetsDir,
				"create_directory": true,
				// Compact in place after a backlog drained (an outage of
				// the store), so the emptyDir stays small.
				"compaction": map[string]any{"directory": LogShipperOffsetsDir, "on_rebound": true},
				// fsync every write: a kill -9 loses no acknowledged offset
				// or queued batch.
				"fsync": true,
			},
		},
		"receivers": map[string]any{
			"file_log": map[string]any{
				"include":           include,
				"start_at":          "beginning",
				"include_file_path": true,
				"include_file_name": false,
				"storage":           "file_storage",
				"poll_interval":     "200ms",
				"multiline":         map[string]any{"line_start_pattern": escape(pattern)},
			},
		},
		"processors": map[string]any{
			"memory_limiter": map[string]any{
				"check_interval":  "1s",
				"limit_mib":       max(memLimitMiB*80/100, 8),
				"spike_limit_mib": max(memLimitMiB*20/100, 2),
			},
			"resource": map[string]any{"attributes": attrs},
		},
		"exporters": map[string]any{exporterName: exporter},
		"service": map[string]any{
			"extensions": []any{"file_storage"},
			"telemetry": map[string]any{
				"logs":    map[string]any{"level": "info", "encoding": "json"},
				"metrics": map[string]any{"level": "none"},
			},
			"pipelines": map[string]any{
				"logs": map[string]any{
					"receivers":  []any{"file_log"},
					"processors": []any{"memory_limiter", "resource"},
					"exporters":  []any{exporterName},
				},
			},
		},
	}
	out, err := marshalYAML(cfg)
	if err != nil { // maps of strings, numbers and bools always marshal
		panic(fmt.Sprintf("marshalling the log-shipper config: %v", err))
	}
	return "# Generated by appserver-operator from the ApplicationServer " + as.Name + "; edits are overwritten.\n" + string(out)
}

// persistentQueue is the send queue of the network exporters: kept in
// file_storage, so that a restarted sidecar sends what it had read but not
// delivered; it batches up to 1 MiB or 1 s.
func persistentQueue() map[string]any {
	return map[string]any{
		"storage":           "file_storage",
		"sizer":             "items",
		"queue_size":        100000,
		"block_on_overflow": true,
		"num_consumers":     2,
		"batch": map[string]any{
			"flush_timeout": "1s",
			"min_size":      1000,
			"max_size":      5000,
		},
	}
}

func retryForever() map[string]any {
	// Never drop a batch because the store was away for a while.
	return map[string]any{"enabled": true, "initial_interval": "1s", "max_interval": "10s", "max_elapsed_time": "0s"}
}

func logShipperExporter(ls v1alpha1.LogShipperSpec) (string, map[string]any) {
	switch {
	case ls.Elasticsearch != nil:
		es := ls.Elasticsearch
		tls := esTLSEnabled(es)
		scheme := "http"
		if tls {
			scheme = "https"
		}
		port := es.Port
		if port == 0 {
			port = 9200
		}
		index := es.Index
		if index == "" {
			index = "appserver"
		}
		host := es.Host
		if strings.Contains(host, ":") { // IPv6
			host = "[" + host + "]"
		}
		e := map[string]any{
			"endpoints": []any{escape(scheme + "://" + host + ":" + strconv.Itoa(int(port)) + strings.TrimSuffix(es.Path, "/"))},
			"index":     escape(index),
			// Elasticsearch ignores these; VictoriaLogs reads them to take
			// the message and the time from our documents' fields.
			"headers":          map[string]any{"VL-Msg-Field": "message", "VL-Time-Field": "@timestamp"},
			"sending_queue":    persistentQueue(),
			"retry_on_failure": retryForever(),
		}
		if esAuthEnabled(es) {
			e["user"] = envRef(LogShipperEnvESUser)
			e["password"] = envRef(LogShipperEnvESPassword)
		}
		if tls {
			t := map[string]any{}
			if es.TLS != nil && es.TLS.Verification != nil && !*es.TLS.Verification {
				t["insecure_skip_verify"] = true
			}
			if es.TLS != nil && es.TLS.CACert != nil {
				t["ca_file"] = path.Join(LogShipperCADir, LogShipperCAFile)
			}
			e["tls"] = t
		}
		return "elasticsearch", e
	case ls.OTLP != nil:
		o := ls.OTLP
		e := map[string]any{
			"endpoint":         escape(o.Endpoint),
			"sending_queue":    persistentQueue(),
			"retry_on_failure": retryForever(),
		}
		if o.HeadersSecret != "" {
			e["headers"] = envRef(LogShipperEnvOTLPHeader)
		}
		if strings.HasPrefix(o.Endpoint, "http://") {
			e["tls"] = map[string]any{"insecure": true}
		}
		if o.Protocol == "grpc" {
			return "otlp_grpc", e
		}
		return "otlp_http", e
	default:
		// No destination: the records go to the sidecar's stdout.
		return "debug", map[string]any{"verbosity": "detailed", "use_internal_logger": false}
	}
}

func esTLSEnabled(es *v1alpha1.ElasticsearchSpec) bool {
	return es.TLS == nil || es.TLS.Enabled == nil || *es.TLS.Enabled
}

func esAuthEnabled(es *v1alpha1.ElasticsearchSpec) bool {
	return es.Auth != nil && (es.Auth.Enabled == nil || *es.Auth.Enabled) && es.Auth.SecretName != ""
}

func upsert(key, value string) map[string]any {
	return map[string]any{"key": key, "value": value, "action": "upsert"}
}

func envRef(name string) string { return "${env:" + name + "}" }

// escape keeps the collector from expanding ${...} in a literal value.
func escape(s string) string { return strings.ReplaceAll(s, "$", "$$") }

// logDirs are the distinct directories of the log files, sorted.
func logDirs(as *v1alpha1.ApplicationServer) []string {
	var dirs []string
	for _, p := range as.Spec.Server.Application.Logs {
		dirs = append(dirs, path.Dir(string(p)))
	}
	slices.Sort(dirs)
	return slices.Compact(dirs)
}

func logShipperMemoryLimit(as *v1alpha1.ApplicationServer) resource.Quantity {
	if r := as.Spec.Deployment.Resources; r != nil && r.LogShipper != nil {
		if q, ok := r.LogShipper.Limits[corev1.ResourceMemory]; ok {
			return q
		}
		if _, ok := r.LogShipper.Requests[corev1.ResourceMemory]; ok {
			// Requests without a limit: size the limiter by the request.
			return r.LogShipper.Requests[corev1.ResourceMemory]
		}
	}
	return logShipperDefaultMemoryLimit
}

// addLogShipper adds the sidecar, its volumes and the server's log mounts to
// the pod template, and the config hash to its annotations.
func addLogShipper(as *v1alpha1.ApplicationServer, opts Options, t *corev1.PodTemplateSpec) {
	if !LogShipperEnabled(as) {
		return
	}
	ls := logShipperSpec(as)
	spec := &t.Spec
	shipperMounts := []corev1.VolumeMount{
		{Name: LogShipperConfigVolumeName, MountPath: LogShipperConfigDir, ReadOnly: true},
		{Name: LogShipperOffsetsVolumeName, MountPath: LogShipperOffsetsDir},
	}
	spec.Volumes = append(spec.Volumes,
		corev1.Volume{Name: LogShipperConfigVolumeName, VolumeSource: corev1.VolumeSource{
			ConfigMap: &corev1.ConfigMapVolumeSource{LocalObjectReference: corev1.LocalObjectReference{Name: LogShipperConfigMapName(as)}}}},
		corev1.Volume{Name: LogShipperOffsetsVolumeName, VolumeSource: corev1.VolumeSource{
			EmptyDir: &corev1.EmptyDirVolumeSource{SizeLimit: ptr.To(resource.MustParse("256Mi"))}}},
	)
	for i, dir := range logDirs(as) {
		name := LogShipperLogsVolumePrefix + strconv.Itoa(i)
		spec.Volumes = append(spec.Volumes, corev1.Volume{Name: name,
			VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}})
		shipperMounts = append(shipperMounts, corev1.VolumeMount{Name: name, MountPath: dir, ReadOnly: true})
		for c := range spec.Containers {
			if spec.Containers[c].Name == ServerContainerName {
				spec.Containers[c].VolumeMounts = append(spec.Containers[c].VolumeMounts,
					corev1.VolumeMount{Name: name, MountPath: dir})
			}
		}
	}
	if es := ls.Elasticsearch; es != nil && esTLSEnabled(es) && es.TLS != nil && es.TLS.CACert != nil {
		spec.Volumes = append(spec.Volumes, corev1.Volume{Name: LogShipperCAVolumeName, VolumeSource: corev1.VolumeSource{
			Secret: &corev1.SecretVolumeSource{
				SecretName:  es.TLS.CACert.Secret.Name,
				Items:       []corev1.KeyToPath{{Key: es.TLS.CACert.Secret.Key, Path: LogShipperCAFile}},
				DefaultMode: ptr.To[int32](0o444),
			}}})
		shipperMounts = append(shipperMounts, corev1.VolumeMount{Name: LogShipperCAVolumeName, MountPath: LogShipperCADir, ReadOnly: true})
	}

	image := ls.Image
	if image == "" {
		image = opts.LogShipperImage
	}
	if image == "" { // zero Options: the shipper of this release
		image = settings.DefaultLogShipperImage
	}
	c := corev1.Container{
		Name:          LogShipperContainerName,
		Image:         image,
		Args:          []string{"--config=" + path.Join(LogShipperConfigDir, LogShipperConfigFile)},
		Env:           logShipperEnv(as, ls),
		VolumeMounts:  shipperMounts,
		RestartPolicy: ptr.To(corev1.ContainerRestartPolicyAlways),
		Resources:     logShipperResources(as),
		SecurityContext: &corev1.SecurityContext{
			AllowPrivilegeEscalation: ptr.To(false),
			RunAsNonRoot:             ptr.To(true),
			ReadOnlyRootFilesystem:   ptr.To(true),
			Capabilities:             &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
			SeccompProfile:           &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
		},
	}
	if p := as.Spec.Deployment.ReadinessProbe; p != nil && p.LogShipper != nil {
		c.ReadinessProbe = p.LogShipper.DeepCopy()
	}
	if p := as.Spec.Deployment.LivenessProbe; p != nil && p.LogShipper != nil {
		c.LivenessProbe = p.LogShipper.DeepCopy()
	}
	// A native sidecar: it starts before the server and stops after it, so
	// the last lines of a terminating server are shipped.
	spec.InitContainers = append(spec.InitContainers, c)

	if t.Annotations == nil {
		t.Annotations = map[string]string{}
	}
	sum := sha256.Sum256([]byte(LogShipperConfig(as)))
	t.Annotations[LogShipperConfigHashAnnotation] = hex.EncodeToString(sum[:])[:16]
}

func logShipperEnv(as *v1alpha1.ApplicationServer, ls v1alpha1.LogShipperSpec) []corev1.EnvVar {
	field := func(name, path string) corev1.EnvVar {
		return corev1.EnvVar{Name: name, ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: path}}}
	}
	secret := func(name, secretName, key string) corev1.EnvVar {
		return corev1.EnvVar{Name: name, ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{
			LocalObjectReference: corev1.LocalObjectReference{Name: secretName}, Key: key}}}
	}
	env := []corev1.EnvVar{
		field(LogShipperEnvNamespace, "metadata.namespace"),
		field(LogShipperEnvPodName, "metadata.name"),
		field(LogShipperEnvNodeName, "spec.nodeName"),
		field(LogShipperEnvPodIP, "status.podIP"),
		// The Go runtime keeps the heap under the container's memory limit.
		{Name: LogShipperEnvGoMemLimit, ValueFrom: &corev1.EnvVarSource{ResourceFieldRef: &corev1.ResourceFieldSelector{
			ContainerName: LogShipperContainerName, Resource: "limits.memory", Divisor: resource.MustParse("1")}}},
	}
	if es := ls.Elasticsearch; es != nil && esAuthEnabled(es) {
		env = append(env,
			secret(LogShipperEnvESUser, es.Auth.SecretName, corev1.BasicAuthUsernameKey),
			secret(LogShipperEnvESPassword, es.Auth.SecretName, corev1.BasicAuthPasswordKey))
	}
	if o := ls.OTLP; o != nil && o.HeadersSecret != "" {
		env = append(env, secret(LogShipperEnvOTLPHeader, o.HeadersSecret, "headers"))
	}
	return env
}

func logShipperResources(as *v1alpha1.ApplicationServer) corev1.ResourceRequirements {
	if r := as.Spec.Deployment.Resources; r != nil && r.LogShipper != nil {
		return *r.LogShipper.DeepCopy()
	}
	return corev1.ResourceRequirements{
		Requests: corev1.ResourceList{
			corev1.ResourceCPU:    logShipperDefaultCPURequest,
			corev1.ResourceMemory: logShipperDefaultMemoryRequest,
		},
		Limits: corev1.ResourceList{corev1.ResourceMemory: logShipperDefaultMemoryLimit},
	}
}

// marshalYAML is yaml.Marshal for any string a user may write.
// sigs.k8s.io/yaml writes JSON and reads it back as YAML, and YAML refuses
// some characters JSON leaves raw (DEL, the C1 controls but NEL, U+FFFE and
// U+FFFF; FuzzLogShipperConfig found DEL in an extra attribute): they are
// escaped in the JSON first, and the YAML emitter escapes them again.
func marshalYAML(v any) ([]byte, error) {
	j, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var b strings.Builder
	for _, r := range string(j) {
		if r == 0x7f || (r >= 0x80 && r <= 0x9f && r != 0x85) || r == 0xfffe || r == 0xffff {
			fmt.Fprintf(&b, `\u%04x`, r)
			continue
		}
		b.WriteRune(r)
	}
	return yaml.JSONToYAML([]byte(b.String()))
}
