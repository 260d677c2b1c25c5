package v1alpha1

// Condition types reported in status.conditions.
const (
	// ConditionAvailable is True when the server's Deployment has its minimum
	// number of pods available.
	ConditionAvailable = "Available"
	// ConditionProgressing is True while a rollout is under way.
	ConditionProgressing = "Progressing"
	// ConditionDegraded is True when something needs the user's attention: a
	// child the operator may not touch, a failed apply, pods that cannot be
	// created, a rollout past its deadline.
	ConditionDegraded = "Degraded"
	// ConditionMissingAPI is True when the spec asks for a child whose API
	// the cluster does not serve (a ServiceMonitor without the Prometheus
	// Operator, a Route outside OpenShift): nothing is made for it, and the
	// message says what and why. It is absent otherwise. The server is not
	// Degraded for it.
	ConditionMissingAPI = "MissingAPI"
)

// Condition reasons. CamelCase, stable: tools may match on them.
const (
	ReasonMinimumReplicasAvailable   = "MinimumReplicasAvailable"
	ReasonMinimumReplicasUnavailable = "MinimumReplicasUnavailable"
	ReasonDeploymentPending          = "DeploymentPending"
	ReasonRolloutInProgress          = "RolloutInProgress"
	ReasonRolloutComplete            = "RolloutComplete"
	ReasonProgressDeadlineExceeded   = "ProgressDeadlineExceeded"
	ReasonAsExpected                 = "AsExpected"
	ReasonChildNotOwned              = "ChildNotOwned"
	ReasonApplyFailed                = "ApplyFailed"
	ReasonReplicaFailure             = "ReplicaFailure"
	// ReasonContainerConfigError: the kubelet cannot start the server
	// container because something it references is missing, typically a
	// ConfigMap or Secret of spec.server.envFrom; the message names it.
	ReasonContainerConfigError = "CreateContainerConfigError"
	// ReasonWaitingForDependency (Progressing): a pod's wait-for init
	// container waits for spec.dependsOn; the message names what.
	ReasonWaitingForDependency = "WaitingForDependency"
	// ReasonOperatorImageMissing (Degraded): spec.dependsOn is set but the
	// operator's OPERATOR_IMAGE setting is empty, so no pod waits.
	ReasonOperatorImageMissing = "OperatorImageMissing"
	// ReasonAPINotServed (MissingAPI): the cluster does not serve the API
	// group/version of a child the spec asks for.
	ReasonAPINotServed = "APINotServed"
	// ReasonReferenceNotFound (Degraded): a ConfigMap or Secret of
	// spec.server.fileMounts does not exist; the message names the field
	// and the object. The pods cannot start until it does.
	ReasonReferenceNotFound = "ReferenceNotFound"
)

// Labels the operator puts on every child (the recommended Kubernetes labels).
const (
	LabelName      = "app.kubernetes.io/name"
	LabelInstance  = "app.kubernetes.io/instance"
	LabelManagedBy = "app.kubernetes.io/managed-by"
	LabelComponent = "app.kubernetes.io/component"

	// ManagedByValue is the value of LabelManagedBy on every child; the
	// operator's informers select on it.
	ManagedByValue = "appserver-operator"
	// NameValue is the value of LabelName on every child.
	NameValue = "applicationserver"
)
