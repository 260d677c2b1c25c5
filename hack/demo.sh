#!/usr/bin/env bash
# The demo (make demo): a local kwok cluster, the CRD, the operator as a local
# process, and a sample ApplicationServer, until Ctrl-C.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cluster=${1:-appserver-dev}
bin="$root/bin"
state="$root/.cluster"
kubeconfig=$("$root/hack/cluster.sh" kubeconfig "$cluster")
kubectl() { "$bin/kubectl" --kubeconfig "$kubeconfig" "$@"; }
sample="$root/config/samples/appserver_v1alpha1_applicationserver_simple.yaml"
name=appserver-simple
oplog="$state/$cluster-operator.log"
op_pid=""

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }

cleanup() {
	trap - INT TERM EXIT
	step "Stopping the demo"
	if [ -n "$op_pid" ] && kill -0 "$op_pid" 2>/dev/null; then
		kill -TERM "$op_pid" 2>/dev/null || true
		wait "$op_pid" 2>/dev/null || true
		echo ">> operator stopped"
	fi
	"$root/hack/cluster.sh" down "$cluster"
}
trap cleanup INT TERM EXIT

step "1/5 Starting the local cluster '$cluster' (real control plane + kwok nodes)"
"$root/hack/cluster.sh" up "$cluster"

step "2/5 Installing the ApplicationServer CRD"
kubectl apply --server-side -f "$root/manifest/crd.yaml"
kubectl wait --for=condition=Established crd/applicationservers.appserver.dev --timeout=60s

step "3/5 Starting the operator (a local process; log: $oplog)"
mkdir -p "$state"
LOG_DIR="" "$bin/appserver-operator" --kubeconfig "$kubeconfig" \
	--metrics-bind-address 127.0.0.1:8383 --health-probe-bind-address 127.0.0.1:8686 \
	>"$oplog" 2>&1 &
op_pid=$!
for _ in $(seq 1 60); do
	if (exec 3<>/dev/tcp/127.0.0.1/8686) 2>/dev/null; then break; fi
	kill -0 "$op_pid" 2>/dev/null || { echo "the operator exited; its log:"; cat "$oplog"; exit 1; }
	sleep 0.5
done
echo ">> operator ready (metrics: http://127.0.0.1:8383/metrics)"

step "4/5 Applying the simple sample and waiting until it is Available"
kubectl apply -f "$sample"
kubectl wait --for=condition=Available "applicationserver/$name" --timeout=180s

step "5/5 What the operator made"
kubectl get applicationservers,deployments,services,pods -o wide
echo
echo "status of applicationserver/$name:"
kubectl get applicationserver "$name" -o yaml | sed -n '/^status:/,$p'
cat <<EOT

The demo is running. Explore it in another terminal:
  export KUBECONFIG=$kubeconfig
  export PATH=$bin:\$PATH
  kubectl get appsrv -o wide                     # printer columns
  kubectl explain applicationserver.spec.service # field docs
  kubectl scale appsrv/$name --replicas=3        # pods follow
  kubectl describe appsrv/$name                  # conditions and events
  kubectl apply -f $root/config/samples/         # the advanced samples
  tail -f $oplog
EOT
if [ -t 0 ] && [ -z "${CI:-}" ]; then
	echo "Press Ctrl-C to stop the demo (stops the operator and deletes the cluster)."
	wait "$op_pid"
else
	echo "(not a terminal: stopping now)"
fi
