package resources

import (
	"slices"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"

	"github.com/appserver-operator/appserver-operator/api/v1alpha1"
)

// namespaceNameLabel is set by the API server on every namespace.
const namespaceNameLabel = "kubernetes.io/metadata.name"

// defaultMeteringPort is where the operator scrapes when
// spec.server.metering.port is unset (the schema's default too).
const defaultMeteringPort = 8443

// NetworkPolicy builds the ingress policy of the server's pods, or returns
// nil when spec.networkPolicy is absent or disabled. It allows the
// Service's target ports from the server's own namespace (unless
// allowSameNamespace is false) and from the peers of spec.networkPolicy.from,
// and always the metering port from the operator's namespace.
func NetworkPolicy(as *v1alpha1.ApplicationServer, opts Options) *networkingv1.NetworkPolicy {
	np := as.Spec.NetworkPolicy
	if np == nil || !np.Enabled {
		return nil
	}
	var ports []networkingv1.NetworkPolicyPort
	all := servicePorts(as)
	for _, p := range all {
		port := networkingv1.NetworkPolicyPort{Protocol: ptr.To(protocol(p)), Port: ptr.To(intstr.FromInt32(targetPort(all, p)))}
		if !slices.ContainsFunc(ports, func(q networkingv1.NetworkPolicyPort) bool {
			return *q.Protocol == *port.Protocol && *q.Port == *port.Port
		}) {
			ports = append(ports, port)
		}
	}
	var peers []networkingv1.NetworkPolicyPeer
	if ptr.Deref(np.AllowSameNamespace, true) {
		// Every pod of the namespace. (An empty podSelector says the same
		// but is an empty object, which an apply intent leaves out.)
		peers = append(peers, networkingv1.NetworkPolicyPeer{NamespaceSelector: &metav1.LabelSelector{
			MatchLabels: map[string]string{namespaceNameLabel: as.Namespace},
		}})
	}
	for _, f := range np.From {
		peers = append(peers, networkingv1.NetworkPolicyPeer{
			NamespaceSelector: f.NamespaceSelector.DeepCopy(),
			PodSelector:       f.PodSelector.DeepCopy(),
		})
	}
	rules := []networkingv1.NetworkPolicyIngressRule{}
	if len(peers) > 0 {
		rules = append(rules, networkingv1.NetworkPolicyIngressRule{Ports: ports, From: peers})
	}
	if opts.OperatorNamespace != "" {
		port := int32(defaultMeteringPort)
		if m := as.Spec.Server.Metering; m != nil && m.Port != 0 {
			port = m.Port
		}
		rules = append(rules, networkingv1.NetworkPolicyIngressRule{
			Ports: []networkingv1.NetworkPolicyPort{{Protocol: ptr.To(corev1.ProtocolTCP), Port: ptr.To(intstr.FromInt32(port))}},
			From: []networkingv1.NetworkPolicyPeer{{NamespaceSelector: &metav1.LabelSelector{
				MatchLabels: map[string]string{namespaceNameLabel: opts.OperatorNamespace},
			}}},
		})
	}
	return &networkingv1.NetworkPolicy{
		TypeMeta:   metav1.TypeMeta{APIVersion: networkingv1.SchemeGroupVersion.String(), Kind: "NetworkPolicy"},
		ObjectMeta: objectMeta(as, as.Name, ComponentServer, nil),
		Spec: networkingv1.NetworkPolicySpec{
			PodSelector: metav1.LabelSelector{MatchLabels: SelectorLabels(as)},
			PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeIngress},
			Ingress:     rules,
		},
	}
}
