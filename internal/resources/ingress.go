package resources

import (
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/appserver-operator/appserver-operator/api/v1alpha1"
)

// Ingress builds the Ingress that routes spec.ingress.host/path to one port
// of the server's Service, or returns nil when the ingress is not enabled.
func Ingress(as *v1alpha1.ApplicationServer) *networkingv1.Ingress {
	in := as.Spec.Ingress
	if in == nil || !in.Enabled {
		return nil
	}
	path, pathType, port := in.Path, in.PathType, in.Port
	if path == "" {
		path = "/"
	}
	if pathType == "" {
		pathType = networkingv1.PathTypePrefix
	}
	if port == "" {
		port = "http"
	}
	ing := &networkingv1.Ingress{
		TypeMeta:   metav1.TypeMeta{APIVersion: networkingv1.SchemeGroupVersion.String(), Kind: "Ingress"},
		ObjectMeta: objectMeta(as, as.Name, ComponentServer, in.Annotations),
		Spec: networkingv1.IngressSpec{
			IngressClassName: copyPtr(in.ClassName),
			TLS:              cloneAll(in.TLS),
			Rules: []networkingv1.IngressRule{{
				Host: in.Host,
				IngressRuleValue: networkingv1.IngressRuleValue{HTTP: &networkingv1.HTTPIngressRuleValue{
					Paths: []networkingv1.HTTPIngressPath{{
						Path:     path,
						PathType: ptr.To(pathType),
						Backend: networkingv1.IngressBackend{Service: &networkingv1.IngressServiceBackend{
							Name: as.Name,
							Port: networkingv1.ServiceBackendPort{Name: port},
						}},
					}},
				}},
			}},
		},
	}
	return ing
}
