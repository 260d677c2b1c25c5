package resources

import (
	"slices"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/appserver-operator/appserver-operator/api/v1alpha1"
)

// Service builds the Service that exposes the server; it has the
// ApplicationServer's name.
func Service(as *v1alpha1.ApplicationServer) *corev1.Service {
	s := as.Spec.Service
	svc := &corev1.Service{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Service"},
		ObjectMeta: objectMeta(as, as.Name, ComponentServer, s.Annotations),
		Spec: corev1.ServiceSpec{
			Type:                     s.Type,
			Selector:                 SelectorLabels(as),
			SessionAffinity:          s.SessionAffinity,
			SessionAffinityConfig:    s.SessionAffinityConfig.DeepCopy(),
			ExternalTrafficPolicy:    s.ExternalTrafficPolicy,
			LoadBalancerIP:           s.LoadBalancerIP,
			LoadBalancerSourceRanges: slices.Clone(s.LoadBalancerSourceRanges),
			ExternalIPs:              slices.Clone(s.ExternalIPs),
		},
	}
	if svc.Spec.Type == "" {
		svc.Spec.Type = corev1.ServiceTypeClusterIP
	}
	ports := servicePorts(as)
	for _, p := range ports {
		sp := corev1.ServicePort{
			Name:        p.Name,
			Protocol:    protocol(p),
			AppProtocol: copyPtr(p.AppProtocol),
			Port:        p.Port,
			TargetPort:  intstr.FromInt32(targetPort(ports, p)),
		}
		if p.NodePort != nil {
			sp.NodePort = *p.NodePort
		}
		svc.Spec.Ports = append(svc.Spec.Ports, sp)
	}
	return svc
}
