package resources

import (
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/appserver-operator/appserver-operator/api/v1alpha1"
)

// tracingEnv passes server.tracing as the standard JAEGER_* and OTEL_*
// variables; unset fields add nothing.
func tracingEnv(as *v1alpha1.ApplicationServer) []corev1.EnvVar {
	t := as.Spec.Server.Tracing
	if t == nil {
		return nil
	}
	var out []corev1.EnvVar
	add := func(name, value string) {
		if value != "" {
			out = append(out, corev1.EnvVar{Name: name, Value: value})
		}
	}
	if j := t.Jaeger; j != nil {
		add("JAEGER_SERVICE_NAME", j.ServiceName)
		add("JAEGER_AGENT_HOST", j.AgentHost)
		add("JAEGER_AGENT_PORT", j.AgentPort)
		add("JAEGER_ENDPOINT", j.Endpoint)
		add("JAEGER_AUTH_TOKEN", j.AuthToken)
		if j.AuthSecret != nil {
			out = append(out, secretEnv("JAEGER_USER", j.AuthSecret.Name, "username"),
				secretEnv("JAEGER_PASSWORD", j.AuthSecret.Name, "password"))
		}
		add("JAEGER_PROPAGATION", j.Propagation)
		add("JAEGER_REPORTER_LOG_SPANS", j.ReporterLogSpans)
		add("JAEGER_REPORTER_MAX_QUEUE_SIZE", j.ReporterMaxQueueSize)
		add("JAEGER_REPORTER_FLUSH_INTERVAL", j.ReporterFlushInterval)
		add("JAEGER_SAMPLER_TYPE", j.SamplerType)
		add("JAEGER_SAMPLER_PARAM", j.SamplerParam)
		add("JAEGER_SAMPLER_MANAGER_HOST_PORT", j.SamplerManagerHostPort)
		add("JAEGER_TAGS", j.Tags)
	}
	if o := t.OTLP; o != nil {
		add("OTEL_EXPORTER_OTLP_ENDPOINT", o.Endpoint)
		add("OTEL_EXPORTER_OTLP_PROTOCOL", o.Protocol)
		name := o.ServiceName
		if name == "" {
			name = as.Name
		}
		add("OTEL_SERVICE_NAME", name)
		add("OTEL_TRACES_SAMPLER", o.Sampler)
		add("OTEL_TRACES_SAMPLER_ARG", o.SamplerArg)
		if o.HeadersSecret != nil {
			out = append(out, secretEnv("OTEL_EXPORTER_OTLP_HEADERS", o.HeadersSecret.Name, o.HeadersSecret.Key))
		}
		// The pod's own name and namespace come from the downward API and
		// are expanded into the attributes by the kubelet ($(VAR) refers
		// to a variable defined earlier in the list).
		out = append(out,
			fieldEnv(EnvPodName, "metadata.name"),
			fieldEnv(EnvNamespaceName, "metadata.namespace"))
		attrs := []string{"k8s.pod.name=$(" + EnvPodName + ")", "k8s.namespace.name=$(" + EnvNamespaceName + ")"}
		keys := make([]string, 0, len(o.ResourceAttributes))
		for k := range o.ResourceAttributes {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			attrs = append(attrs, k+"="+o.ResourceAttributes[k])
		}
		add("OTEL_RESOURCE_ATTRIBUTES", strings.Join(attrs, ","))
	}
	return out
}

func secretEnv(name, secret, key string) corev1.EnvVar {
	return corev1.EnvVar{Name: name, ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{
		LocalObjectReference: corev1.LocalObjectReference{Name: secret}, Key: key,
	}}}
}

func fieldEnv(name, path string) corev1.EnvVar {
	return corev1.EnvVar{Name: name, ValueFrom: &corev1.EnvVarSource{
		FieldRef: &corev1.ObjectFieldSelector{APIVersion: "v1", FieldPath: path}}}
}
