package resources

import (
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/appserver-operator/appserver-operator/api/v1alpha1"
)

// HorizontalPodAutoscaler builds the autoscaler of the server's Deployment,
// or returns nil when spec.horizontalPodAutoscaler is not enabled.
func HorizontalPodAutoscaler(as *v1alpha1.ApplicationServer) *autoscalingv2.HorizontalPodAutoscaler {
	if !hpaEnabled(as) {
		return nil
	}
	h := as.Spec.HorizontalPodAutoscaler
	hpa := &autoscalingv2.HorizontalPodAutoscaler{
		TypeMeta:   metav1.TypeMeta{APIVersion: autoscalingv2.SchemeGroupVersion.String(), Kind: "HorizontalPodAutoscaler"},
		ObjectMeta: objectMeta(as, as.Name, ComponentServer, nil),
		Spec: autoscalingv2.HorizontalPodAutoscalerSpec{
			ScaleTargetRef: autoscalingv2.CrossVersionObjectReference{
				APIVersion: "apps/v1", Kind: "Deployment", Name: as.Name,
			},
			MinReplicas: copyPtr(h.MinReplicas),
			Behavior:    h.Behavior.DeepCopy(),
		},
	}
	if h.MaxReplicas != nil {
		hpa.Spec.MaxReplicas = *h.MaxReplicas
	}
	if m := h.ResourceMetrics; m != nil {
		hpa.Spec.Metrics = append(hpa.Spec.Metrics, resourceMetric(corev1.ResourceCPU, m.CPUAverageUtilization, m.CPUAverageValue)...)
		hpa.Spec.Metrics = append(hpa.Spec.Metrics, resourceMetric(corev1.ResourceMemory, m.MemoryAverageUtilization, m.MemoryAverageValue)...)
	}
	for _, pm := range h.PodMetrics {
		hpa.Spec.Metrics = append(hpa.Spec.Metrics, autoscalingv2.MetricSpec{
			Type: autoscalingv2.PodsMetricSourceType,
			Pods: &autoscalingv2.PodsMetricSource{
				Metric: autoscalingv2.MetricIdentifier{Name: pm.Name},
				Target: autoscalingv2.MetricTarget{Type: autoscalingv2.AverageValueMetricType, AverageValue: ptrQuantity(pm.AverageValue)},
			},
		})
	}
	return hpa
}

// resourceMetric returns the metric for one resource; utilization wins when
// (against the schema) both are set.
func resourceMetric(name corev1.ResourceName, utilization *int32, value *resource.Quantity) []autoscalingv2.MetricSpec {
	var target autoscalingv2.MetricTarget
	switch {
	case utilization != nil:
		target = autoscalingv2.MetricTarget{Type: autoscalingv2.UtilizationMetricType, AverageUtilization: copyPtr(utilization)}
	case value != nil:
		target = autoscalingv2.MetricTarget{Type: autoscalingv2.AverageValueMetricType, AverageValue: ptrQuantity(*value)}
	default:
		return nil
	}
	return []autoscalingv2.MetricSpec{{
		Type:     autoscalingv2.ResourceMetricSourceType,
		Resource: &autoscalingv2.ResourceMetricSource{Name: name, Target: target},
	}}
}

func ptrQuantity(q resource.Quantity) *resource.Quantity { return &q }
