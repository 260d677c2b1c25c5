package resources

import (
	"slices"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/appserver-operator/appserver-operator/api/v1alpha1"
)

// DefaultPorts are WebOTX's ports, used when spec.service.ports is empty (the
// schema defaults it too; builders do not rely on that).
var DefaultPorts = []v1alpha1.ServicePort{
	{Name: "http", Protocol: corev1.ProtocolTCP, Port: 8080},
	{Name: "https", Protocol: corev1.ProtocolTCP, Port: 8443},
}

// servicePorts returns the ports the server exposes.
func servicePorts(as *v1alpha1.ApplicationServer) []v1alpha1.ServicePort {
	if len(as.Spec.Service.Ports) == 0 {
		return DefaultPorts
	}
	return as.Spec.Service.Ports
}

// targetPort is the container port behind a service port. A named target
// is the name of another service port (admission checks it names one with a
// numeric target); it resolves to that port's number, so the Service never
// depends on which name the shared container port got.
func targetPort(ports []v1alpha1.ServicePort, p v1alpha1.ServicePort) int32 {
	if p.TargetPort == nil {
		return p.Port
	}
	if p.TargetPort.Type == intstr.Int {
		return p.TargetPort.IntVal
	}
	for _, q := range ports {
		if q.Name == p.TargetPort.StrVal && (q.TargetPort == nil || q.TargetPort.Type == intstr.Int) {
			return targetPort(ports, q)
		}
	}
	return p.Port // not admitted; a total function keeps the builders fuzzable
}

// protocol defaults an empty protocol to TCP, as the API server would.
func protocol(p v1alpha1.ServicePort) corev1.Protocol {
	if p.Protocol == "" {
		return corev1.ProtocolTCP
	}
	return p.Protocol
}

// addPort declares a port of the container unless it declares that number
// and protocol already (admission rejects such a spec; the builders stay
// total): a Service port may target the session replication port, and the
// same port may come twice from an unadmitted spec.deployment.ports.
func addPort(c *corev1.Container, p corev1.ContainerPort) {
	if p.Protocol == "" {
		p.Protocol = corev1.ProtocolTCP
	}
	if slices.ContainsFunc(c.Ports, func(o corev1.ContainerPort) bool {
		return o.ContainerPort == p.ContainerPort && o.Protocol == p.Protocol
	}) {
		return
	}
	c.Ports = append(c.Ports, p)
}
