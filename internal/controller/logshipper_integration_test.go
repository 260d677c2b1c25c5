//go:build integration

package controller_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/appserver-operator/appserver-operator/api/v1alpha1"
	"github.com/appserver-operator/appserver-operator/internal/resources"
)

func logShipperConfigMap(as *v1alpha1.ApplicationServer) client.ObjectKey {
	return client.ObjectKey{Namespace: as.Namespace, Name: resources.LogShipperConfigMapName(as)}
}

// The log shipper's children through a real API server: the ConfigMap is
// created and owned, its hash is on the pod template, a change rolls the
// pods, and turning the logs off removes the sidecar, the volumes and the
// ConfigMap.
func TestLogShipperChildren(t *testing.T) {
	ns := newNamespace(t)
	as := sample(t, "appserver_v1alpha1_applicationserver_simple.yaml", ns)
	as.Spec.Server.Application = &v1alpha1.ApplicationSpec{Logs: []v1alpha1.LogPath{"/opt/app/logs/server.log"}}
	create(t, as)

	cm := &corev1.ConfigMap{}
	eventually(t, wait, "the log-shipper ConfigMap", func() error {
		return k8s.Get(context.Background(), logShipperConfigMap(as), cm)
	})
	isController(t, cm, as)
	if !strings.Contains(cm.Data[resources.LogShipperConfigFile], "/opt/app/logs/server.log") {
		t.Errorf("config does not tail the log file:\n%s", cm.Data[resources.LogShipperConfigFile])
	}
	dep := get(t, as, &appsv1.Deployment{})
	tpl := dep.Spec.Template
	if len(tpl.Spec.InitContainers) != 1 || tpl.Spec.InitContainers[0].Name != resources.LogShipperContainerName ||
		ptr.Deref(tpl.Spec.InitContainers[0].RestartPolicy, "") != corev1.ContainerRestartPolicyAlways {
		t.Fatalf("init containers %+v, want the log-shipper native sidecar", tpl.Spec.InitContainers)
	}
	hash := tpl.Annotations[resources.LogShipperConfigHashAnnotation]
	if hash == "" {
		t.Fatal("no config hash on the pod template")
	}

	// A change of the config changes the hash (rolls the pods).
	update(t, as, func(as *v1alpha1.ApplicationServer) {
		as.Spec.Deployment.LogShipper = &v1alpha1.LogShipperSpec{ExtraAttributes: map[string]string{"team": "web"}}
	})
	eventually(t, wait, "a new config and hash", func() error {
		if err := k8s.Get(context.Background(), logShipperConfigMap(as), cm); err != nil {
			return err
		}
		if !strings.Contains(cm.Data[resources.LogShipperConfigFile], "team") {
			return fmt.Errorf("config not updated")
		}
		if err := k8s.Get(context.Background(), client.ObjectKeyFromObject(as), dep); err != nil {
			return err
		}
		if h := dep.Spec.Template.Annotations[resources.LogShipperConfigHashAnnotation]; h == hash {
			return fmt.Errorf("hash unchanged: %s", h)
		}
		return nil
	})

	// Off: no sidecar, no volumes, no ConfigMap.
	update(t, as, func(as *v1alpha1.ApplicationServer) { as.Spec.Server.Application = nil })
	eventually(t, wait, "the sidecar and the ConfigMap to go", func() error {
		if err := k8s.Get(context.Background(), client.ObjectKeyFromObject(as), dep); err != nil {
			return err
		}
		s := dep.Spec.Template.Spec
		if len(s.InitContainers) != 0 || len(s.Volumes) != 0 || len(s.Containers[0].VolumeMounts) != 0 {
			return fmt.Errorf("pod template still has %d init containers, %d volumes", len(s.InitContainers), len(s.Volumes))
		}
		err := k8s.Get(context.Background(), logShipperConfigMap(as), &corev1.ConfigMap{})
		if !apierrors.IsNotFound(err) {
			return fmt.Errorf("ConfigMap still there (err=%w)", err)
		}
		return nil
	})
}

// A Secret the shipper needs that does not exist: the kubelet reports it on
// the sidecar (an init container); the server becomes Degraded naming it.
func TestLogShipperMissingSecretShowsAsDegraded(t *testing.T) {
	ns := newNamespace(t)
	as := sample(t, "appserver_v1alpha1_applicationserver_simple.yaml", ns)
	as.Spec.Server.Application = &v1alpha1.ApplicationSpec{Logs: []v1alpha1.LogPath{"/opt/app/logs/server.log"}}
	as.Spec.Deployment.LogShipper = &v1alpha1.LogShipperSpec{Elasticsearch: &v1alpha1.ElasticsearchSpec{
		Host: "es", Auth: &v1alpha1.ElasticsearchAuth{SecretName: "es-auth"}}}
	create(t, as)
	// No kubelet in envtest: failPodConfig plays its part, on the sidecar.
	failPodConfig(t, as, true, resources.LogShipperContainerName, `secret "es-auth" not found`)
}
