package resources

import (
	"strconv"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/appserver-operator/appserver-operator/api/v1alpha1"
)

// ComponentPeers labels the session replication children.
const ComponentPeers = "session-replication"

// DefaultPeersPort is JGroups' default TCP port.
const DefaultPeersPort = 7800

// PeersServiceName is the name of the headless Service peers find each
// other by.
func PeersServiceName(as *v1alpha1.ApplicationServer) string { return as.Name + "-peers" }

// PeersDNSQuery is the fully qualified name of the peers Service: DNS_PING
// resolves it to every pod's address, ready or not.
func PeersDNSQuery(as *v1alpha1.ApplicationServer) string {
	return PeersServiceName(as) + "." + as.Namespace + ".svc.cluster.local"
}

func sessionReplication(as *v1alpha1.ApplicationServer) *v1alpha1.SessionReplicationSpec {
	if sr := as.Spec.Server.SessionReplication; sr != nil && sr.Enabled {
		return sr
	}
	return nil
}

func peersPort(sr *v1alpha1.SessionReplicationSpec) int32 {
	if sr.Port != 0 {
		return sr.Port
	}
	return DefaultPeersPort
}

// kubePing reports whether peers discover each other through the
// Kubernetes API (and so need RBAC).
func kubePing(sr *v1alpha1.SessionReplicationSpec) bool {
	return sr != nil && sr.Discovery != v1alpha1.DiscoveryDNS
}

// PeersService builds the headless Service of the session replication
// peers: every pod's address, ready or not, under one DNS name. Nil unless
// session replication is enabled.
func PeersService(as *v1alpha1.ApplicationServer) *corev1.Service {
	sr := sessionReplication(as)
	if sr == nil {
		return nil
	}
	port := peersPort(sr)
	return &corev1.Service{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Service"},
		ObjectMeta: objectMeta(as, PeersServiceName(as), ComponentPeers, nil),
		Spec: corev1.ServiceSpec{
			Type:                     corev1.ServiceTypeClusterIP,
			ClusterIP:                corev1.ClusterIPNone,
			PublishNotReadyAddresses: true,
			Selector:                 SelectorLabels(as),
			Ports: []corev1.ServicePort{{
				Name: PeersPortName, Protocol: corev1.ProtocolTCP,
				Port: port, TargetPort: intstr.FromInt32(port),
			}},
		},
	}
}

// podServiceAccountName is the ServiceAccount the pods run as: the user's,
// else the one the operator creates for KUBE_PING, else the namespace's
// default (empty).
func podServiceAccountName(as *v1alpha1.ApplicationServer) string {
	if n := as.Spec.Deployment.ServiceAccountName; n != "" {
		return n
	}
	if kubePing(sessionReplication(as)) {
		return as.Name
	}
	return ""
}

// ServiceAccount builds the ServiceAccount the pods run as when KUBE_PING
// needs one and the user names none. Nil otherwise.
func ServiceAccount(as *v1alpha1.ApplicationServer) *corev1.ServiceAccount {
	if !kubePing(sessionReplication(as)) || as.Spec.Deployment.ServiceAccountName != "" {
		return nil
	}
	return &corev1.ServiceAccount{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "ServiceAccount"},
		ObjectMeta: objectMeta(as, as.Name, ComponentPeers, nil),
	}
}

// PeersRole builds the Role that lets KUBE_PING list the server's pods in
// its namespace. Nil unless session replication with kubernetes discovery
// is enabled.
func PeersRole(as *v1alpha1.ApplicationServer) *rbacv1.Role {
	if !kubePing(sessionReplication(as)) {
		return nil
	}
	return &rbacv1.Role{
		TypeMeta:   metav1.TypeMeta{APIVersion: rbacv1.SchemeGroupVersion.String(), Kind: "Role"},
		ObjectMeta: objectMeta(as, as.Name, ComponentPeers, nil),
		Rules: []rbacv1.PolicyRule{{
			APIGroups: []string{""}, Resources: []string{"pods"}, Verbs: []string{"get", "list", "watch"},
		}},
	}
}

// PeersRoleBinding binds PeersRole to the pods' ServiceAccount (the user's,
// or the operator's). Nil with PeersRole.
func PeersRoleBinding(as *v1alpha1.ApplicationServer) *rbacv1.RoleBinding {
	if !kubePing(sessionReplication(as)) {
		return nil
	}
	return &rbacv1.RoleBinding{
		TypeMeta:   metav1.TypeMeta{APIVersion: rbacv1.SchemeGroupVersion.String(), Kind: "RoleBinding"},
		ObjectMeta: objectMeta(as, as.Name, ComponentPeers, nil),
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: as.Name},
		Subjects: []rbacv1.Subject{{
			Kind: rbacv1.ServiceAccountKind, Name: podServiceAccountName(as), Namespace: as.Namespace,
		}},
	}
}

// withSessionReplication adds the cluster port and the replication
// environment to the server container.
func withSessionReplication(c *corev1.Container, as *v1alpha1.ApplicationServer) {
	sr := sessionReplication(as)
	if sr == nil {
		return
	}
	// The peers Service targets the cluster port by number.
	addPort(c, corev1.ContainerPort{Name: PeersPortName, ContainerPort: peersPort(sr), Protocol: corev1.ProtocolTCP})
	c.Env = append(c.Env,
		corev1.EnvVar{Name: EnvDatagridType, Value: "infinispan"},
		corev1.EnvVar{Name: EnvUseJmxAgent, Value: strconv.FormatBool(sr.UseJmxAgent)},
		corev1.EnvVar{Name: EnvUseAllProcessGroups, Value: strconv.FormatBool(sr.UseAllProcessGroups)},
		corev1.EnvVar{Name: EnvKubernetesNamespace, ValueFrom: &corev1.EnvVarSource{
			FieldRef: &corev1.ObjectFieldSelector{APIVersion: "v1", FieldPath: "metadata.namespace"}}},
		corev1.EnvVar{Name: EnvKubernetesLabels, Value: labels.SelectorFromSet(SelectorLabels(as)).String()},
		corev1.EnvVar{Name: EnvJGroupsDNSQuery, Value: PeersDNSQuery(as)},
	)
}
