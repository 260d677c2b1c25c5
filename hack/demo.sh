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
sample="$root/hack/demo/applicationserver.yaml"
name=appserver-simple
oplog="$state/$cluster-operator.log"
standinlog="$state/$cluster-standin.log"
op_pid=""
standin_pid=""

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }

cleanup() {
	trap - INT TERM EXIT
	step "Stopping the demo"
	if [ -n "$op_pid" ] && kill -0 "$op_pid" 2>/dev/null; then
		kill -TERM "$op_pid" 2>/dev/null || true
		wait "$op_pid" 2>/dev/null || true
		echo ">> operator stopped"
	fi
	if [ -n "$standin_pid" ] && kill -0 "$standin_pid" 2>/dev/null; then
		kill -TERM "$standin_pid" 2>/dev/null || true
		wait "$standin_pid" 2>/dev/null || true
		echo ">> stand-in application server stopped"
	fi
	"$root/hack/cluster.sh" down "$cluster"
}
trap cleanup INT TERM EXIT

step "1/6 Starting the local cluster '$cluster' (real control plane + kwok nodes)"
"$root/hack/cluster.sh" up "$cluster"

step "2/6 Installing the ApplicationServer CRD"
kubectl apply --server-side -f "$root/manifest/crd.yaml"
# (kubectl wait fails at once on a CRD that has no status yet: poll instead)
for _ in $(seq 1 120); do
	[ "$(kubectl get crd applicationservers.appserver.dev -o jsonpath='{.status.conditions[?(@.type=="Established")].status}' 2>/dev/null)" = True ] && break
	sleep 0.5
done

step "3/6 Starting the operator (a local process; log: $oplog) and a stand-in application server"
mkdir -p "$state"
go build -o "$bin/standin" "$root/test/standin"
go build -o "$bin/fetch" "$root/hack/fetch"
# The stand-in (a test double, not part of the operator) serves metrics at the
# IPs kwok gives pods on the loopback node.
"$bin/standin" --kubeconfig "$kubeconfig" >"$standinlog" 2>&1 &
standin_pid=$!
LOG_DIR="" METERING_INTERVAL=5s "$bin/appserver-operator" --kubeconfig "$kubeconfig" \
	--metrics-bind-address 127.0.0.1:8383 --health-probe-bind-address 127.0.0.1:8686 \
	--metering-bind-address 127.0.0.1:8989 \
	>"$oplog" 2>&1 &
op_pid=$!
for _ in $(seq 1 60); do
	if (exec 3<>/dev/tcp/127.0.0.1/8686) 2>/dev/null; then break; fi
	kill -0 "$op_pid" 2>/dev/null || { echo "the operator exited; its log:"; cat "$oplog"; exit 1; }
	sleep 0.5
done
echo ">> operator ready (metrics: http://127.0.0.1:8383/metrics)"

step "4/6 Applying the sample (metering on, 2 replicas) and waiting until it is Available"
kubectl apply -f "$sample"
kubectl wait --for=condition=Available "applicationserver/$name" --timeout=180s

step "5/6 What the operator made"
kubectl get applicationservers,deployments,services,pods -o wide
echo
echo "status of applicationserver/$name:"
kubectl get applicationserver "$name" -o yaml | sed -n '/^status:/,$p'
step "6/6 Metering: the operator scrapes the pods and serves their metrics on :8989"
kubectl wait --for=jsonpath='{.status.metering.healthyTargets}'=2 "applicationserver/$name" --timeout=60s
url="https://127.0.0.1:8989/metrics/$name"
echo "\$ curl -k -H 'Accept: application/json' $url"
"$bin/fetch" -pretty -accept application/json "$url" | head -n 40
echo "  ..."
echo
echo "\$ curl -k $url   (Prometheus text)"
"$bin/fetch" "$url" | head -n 12
cat <<EOT

The demo is running. Explore it in another terminal:
  export KUBECONFIG=$kubeconfig
  export PATH=$bin:\$PATH
  kubectl get appsrv -o wide                     # printer columns
  kubectl explain applicationserver.spec.service # field docs
  kubectl scale appsrv/$name --replicas=3        # pods follow
  kubectl describe appsrv/$name                  # conditions and events
  kubectl apply -f $root/config/samples/         # the advanced samples
  curl -k https://127.0.0.1:8989/metrics         # metering API (Prometheus text)
  curl -k -H 'Accept: application/json' https://127.0.0.1:8989/metrics/$name
  tail -f $oplog
EOT
if [ -t 0 ] && [ -z "${CI:-}" ]; then
	echo "Press Ctrl-C to stop the demo (stops the operator and deletes the cluster)."
	wait "$op_pid"
else
	echo "(not a terminal: stopping now)"
fi
