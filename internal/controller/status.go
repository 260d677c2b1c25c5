package controller

import (
	"fmt"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/appserver-operator/appserver-operator/api/v1alpha1"
	"github.com/appserver-operator/appserver-operator/internal/resources"
	"github.com/appserver-operator/appserver-operator/internal/version"
)

// observation is what one reconcile saw and did, the input of the status.
type observation struct {
	// deployment is the server's Deployment as last read or applied; nil when
	// it does not exist (yet) or is not ours.
	deployment *appsv1.Deployment
	// notOwned lists children that exist but belong to someone else
	// ("Service web").
	notOwned []string
	// applyErr is the first error met while applying or deleting children.
	applyErr error
	// metering is the status.metering to report; nil when not scraped.
	metering *v1alpha1.MeteringStatus
	// configError is the kubelet's message when a pod cannot start its
	// server container for a missing reference ("configmap \"env\" not
	// found"); empty otherwise.
	configError string
	// waitingFor says what a pod's wait-for init container waits for
	// (spec.dependsOn); empty when no pod waits.
	waitingFor string
	// operatorImageMissing: spec.dependsOn is set but the operator has no
	// OPERATOR_IMAGE to run its wait-for init container with.
	operatorImageMissing bool
	// missingReference names a ConfigMap or Secret of
	// spec.server.fileMounts that does not exist; empty otherwise.
	missingReference string
	// missingAPIs say, per child the spec asks for whose API the cluster
	// does not serve, why it was not made.
	missingAPIs []string
}

// computeStatus derives the whole status from the object and what the
// reconcile observed. It is pure: the same input gives the same status, and
// condition timestamps move only when a condition's status changes.
func computeStatus(as *v1alpha1.ApplicationServer, o observation) v1alpha1.ApplicationServerStatus {
	st := *as.Status.DeepCopy()
	st.Selector = resources.Selector(as)
	st.ServiceName = as.Name
	st.OperatorVersion = version.Version
	st.Image = as.Spec.Deployment.Image
	st.Metering = o.metering

	var desired int32
	if d := o.deployment; d != nil {
		desired = ptr.Deref(d.Spec.Replicas, 1)
		st.Replicas = d.Status.Replicas
		st.ReadyReplicas = d.Status.ReadyReplicas
		st.UpdatedReplicas = d.Status.UpdatedReplicas
		st.AvailableReplicas = d.Status.AvailableReplicas
		if len(d.Spec.Template.Spec.Containers) > 0 {
			st.Image = d.Spec.Template.Spec.Containers[0].Image
		}
	} else {
		desired = ptr.Deref(as.Spec.Deployment.Replicas, 1)
		st.Replicas, st.ReadyReplicas, st.UpdatedReplicas, st.AvailableReplicas = 0, 0, 0, 0
	}
	st.Ready = fmt.Sprintf("%d/%d", st.ReadyReplicas, desired)

	setAvailableCondition(&st, as.Generation, o)
	setProgressingCondition(&st, as.Generation, o)
	setDegradedCondition(&st, as.Generation, o)
	setMissingAPICondition(&st, as.Generation, o)
	if o.applyErr == nil {
		st.ObservedGeneration = as.Generation
	}
	return st
}

func setAvailableCondition(st *v1alpha1.ApplicationServerStatus, gen int64, o observation) {
	c := metav1.Condition{Type: v1alpha1.ConditionAvailable, ObservedGeneration: gen}
	dc := deploymentCondition(o.deployment, appsv1.DeploymentAvailable)
	switch {
	case o.deployment == nil:
		c.Status, c.Reason, c.Message = metav1.ConditionFalse, v1alpha1.ReasonDeploymentPending, "The Deployment does not exist yet"
		if len(o.notOwned) > 0 {
			c.Reason, c.Message = v1alpha1.ReasonChildNotOwned, notOwnedMessage(o.notOwned)
		}
	case dc != nil && dc.Status == corev1.ConditionTrue:
		c.Status, c.Reason = metav1.ConditionTrue, v1alpha1.ReasonMinimumReplicasAvailable
		c.Message = fmt.Sprintf("%d of %d replicas available", o.deployment.Status.AvailableReplicas, ptr.Deref(o.deployment.Spec.Replicas, 1))
	default:
		c.Status, c.Reason = metav1.ConditionFalse, v1alpha1.ReasonMinimumReplicasUnavailable
		c.Message = fmt.Sprintf("%d of %d replicas available", o.deployment.Status.AvailableReplicas, ptr.Deref(o.deployment.Spec.Replicas, 1))
		if rf := replicaFailure(o.deployment); rf != nil {
			c.Reason, c.Message = reasonOr(rf.Reason, v1alpha1.ReasonReplicaFailure), rf.Message
		}
	}
	meta.SetStatusCondition(&st.Conditions, c)
}

func setProgressingCondition(st *v1alpha1.ApplicationServerStatus, gen int64, o observation) {
	c := metav1.Condition{Type: v1alpha1.ConditionProgressing, ObservedGeneration: gen}
	d := o.deployment
	switch {
	case d == nil:
		c.Status, c.Reason, c.Message = metav1.ConditionFalse, v1alpha1.ReasonDeploymentPending, "The Deployment does not exist yet"
	case o.waitingFor != "":
		c.Status, c.Reason, c.Message = metav1.ConditionTrue, v1alpha1.ReasonWaitingForDependency, o.waitingFor
	case progressDeadlineExceeded(d):
		c.Status, c.Reason = metav1.ConditionFalse, v1alpha1.ReasonProgressDeadlineExceeded
		c.Message = deploymentCondition(d, appsv1.DeploymentProgressing).Message
	case rolloutComplete(d):
		c.Status, c.Reason, c.Message = metav1.ConditionFalse, v1alpha1.ReasonRolloutComplete, "The Deployment has rolled out"
	default:
		c.Status, c.Reason = metav1.ConditionTrue, v1alpha1.ReasonRolloutInProgress
		c.Message = fmt.Sprintf("%d of %d replicas updated", d.Status.UpdatedReplicas, ptr.Deref(d.Spec.Replicas, 1))
	}
	meta.SetStatusCondition(&st.Conditions, c)
}

func setDegradedCondition(st *v1alpha1.ApplicationServerStatus, gen int64, o observation) {
	c := metav1.Condition{Type: v1alpha1.ConditionDegraded, ObservedGeneration: gen,
		Status: metav1.ConditionTrue}
	switch {
	case o.applyErr != nil:
		c.Reason, c.Message = v1alpha1.ReasonApplyFailed, o.applyErr.Error()
	case len(o.notOwned) > 0:
		c.Reason, c.Message = v1alpha1.ReasonChildNotOwned, notOwnedMessage(o.notOwned)
	case o.missingReference != "":
		c.Reason, c.Message = v1alpha1.ReasonReferenceNotFound, o.missingReference
	case replicaFailure(o.deployment) != nil:
		rf := replicaFailure(o.deployment)
		c.Reason, c.Message = reasonOr(rf.Reason, v1alpha1.ReasonReplicaFailure), rf.Message
	case o.configError != "":
		c.Reason, c.Message = v1alpha1.ReasonContainerConfigError, o.configError
	case o.operatorImageMissing:
		c.Reason, c.Message = v1alpha1.ReasonOperatorImageMissing, "spec.dependsOn needs the operator's OPERATOR_IMAGE setting, which is empty: the pods start without waiting for their dependencies"
	case o.deployment != nil && progressDeadlineExceeded(o.deployment):
		c.Reason = v1alpha1.ReasonProgressDeadlineExceeded
		c.Message = deploymentCondition(o.deployment, appsv1.DeploymentProgressing).Message
	default:
		c.Status, c.Reason, c.Message = metav1.ConditionFalse, v1alpha1.ReasonAsExpected, "All children are as specified"
	}
	meta.SetStatusCondition(&st.Conditions, c)
}

// setMissingAPICondition reports the children that could not be made
// because the cluster does not serve their API; the condition is absent
// when there are none, so servers that ask for no such child never carry it.
func setMissingAPICondition(st *v1alpha1.ApplicationServerStatus, gen int64, o observation) {
	if len(o.missingAPIs) == 0 {
		meta.RemoveStatusCondition(&st.Conditions, v1alpha1.ConditionMissingAPI)
		return
	}
	meta.SetStatusCondition(&st.Conditions, metav1.Condition{Type: v1alpha1.ConditionMissingAPI, ObservedGeneration: gen,
		Status: metav1.ConditionTrue, Reason: v1alpha1.ReasonAPINotServed, Message: strings.Join(o.missingAPIs, "; ")})
}

func notOwnedMessage(children []string) string {
	return strings.Join(children, ", ") + " already exist(s) and is not owned by this ApplicationServer; the operator leaves it alone: delete or rename it"
}

func deploymentCondition(d *appsv1.Deployment, t appsv1.DeploymentConditionType) *appsv1.DeploymentCondition {
	if d == nil {
		return nil
	}
	for i := range d.Status.Conditions {
		if d.Status.Conditions[i].Type == t {
			return &d.Status.Conditions[i]
		}
	}
	return nil
}

// replicaFailure is the Deployment's ReplicaFailure condition when it is
// True: pods cannot be created (a missing service account, quota, ...).
func replicaFailure(d *appsv1.Deployment) *appsv1.DeploymentCondition {
	if c := deploymentCondition(d, appsv1.DeploymentReplicaFailure); c != nil && c.Status == corev1.ConditionTrue {
		return c
	}
	return nil
}

func progressDeadlineExceeded(d *appsv1.Deployment) bool {
	c := deploymentCondition(d, appsv1.DeploymentProgressing)
	return c != nil && c.Status == corev1.ConditionFalse && c.Reason == "ProgressDeadlineExceeded"
}

func rolloutComplete(d *appsv1.Deployment) bool {
	want := ptr.Deref(d.Spec.Replicas, 1)
	s := d.Status
	return s.ObservedGeneration >= d.Generation &&
		s.UpdatedReplicas == want && s.Replicas == want && s.AvailableReplicas == want
}

// reasonOr returns reason when it is a valid condition reason, else fallback.
func reasonOr(reason, fallback string) string {
	if reason == "" || !conditionReason.MatchString(reason) {
		return fallback
	}
	return reason
}
