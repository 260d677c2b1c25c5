package resources

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/appserver-operator/appserver-operator/api/v1alpha1"
)

// TestPeersPortDeclaredOnce: a Service port that already targets the
// cluster port (FuzzBuilders found this) leaves one container port, which
// the peers Service still reaches by number.
func TestPeersPortDeclaredOnce(t *testing.T) {
	as := &v1alpha1.ApplicationServer{
		ObjectMeta: metav1.ObjectMeta{Name: "a", Namespace: "ns"},
		Spec: v1alpha1.ApplicationServerSpec{
			Service: v1alpha1.ServiceSpec{Ports: []v1alpha1.ServicePort{{Name: "http", Port: DefaultPeersPort}}},
			Server:  v1alpha1.ServerSpec{SessionReplication: &v1alpha1.SessionReplicationSpec{Enabled: true}},
		},
	}
	ports := Deployment(as, Options{}).Spec.Template.Spec.Containers[0].Ports
	n := 0
	for _, p := range ports {
		if p.ContainerPort == DefaultPeersPort && p.Protocol == corev1.ProtocolTCP {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("container ports %+v declare %d/TCP %d times, want once", ports, DefaultPeersPort, n)
	}
	if tp := PeersService(as).Spec.Ports[0].TargetPort.IntValue(); tp != DefaultPeersPort {
		t.Errorf("peers Service targets %d, want %d", tp, DefaultPeersPort)
	}
}
