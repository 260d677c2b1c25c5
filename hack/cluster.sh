#!/usr/bin/env bash
# The local cluster: a real control plane (etcd, kube-apiserver,
# kube-controller-manager, kube-scheduler from ./bin) with kwok simulating
# kubelets, run by `kwokctl --runtime binary`. No container runtime needed.
#
#   hack/cluster.sh up   [name]   start (or reuse) cluster <name>, print its kubeconfig
#   hack/cluster.sh down [name]   stop it; no process and no state is left behind
#   hack/cluster.sh kubeconfig [name]   print the kubeconfig path
#   hack/cluster.sh stop [name]   stop its control plane and kwok, keeping every object (etcd's data)
#   hack/cluster.sh start [name]  start a stopped cluster again and wait for its API server
#                                 (stop and start are the chaos suite's control-plane outage)
#
# KWOK_NODES=<n> gives the cluster n ordinary nodes instead of 2 (kwok-node-0 ...
# kwok-node-<n-1>, 500 pods each), for benchmarks with many pods (make bench).
#
# LOOPBACK_NODES=<n> gives it n loopback nodes instead of 1: kwok-loopback
# (127.0.10.0/24) and kwok-loopback-1 ... kwok-loopback-<n-1> (127.0.11.0/24,
# 127.0.12.0/24, ...), all with the same label and taint, for metering many
# pods (make bench-metering). kwok hands out pod IPs past the end of a node's
# podCIDR rather than refuse a pod, so with more than one loopback node each
# takes at most 250 pods, and a node's pods never get the next node's IPs.
#
# SERVICE_CIDR=<cidr> gives Services their ClusterIPs from <cidr> instead of
# 10.96.0.0/16; the e2e uses 127.96.0.0/16, so that a local process listening
# on a Service's ClusterIP (loopback) is reachable by the API server's
# aggregator (custom.metrics.k8s.io). HPA_SYNC_PERIOD=<duration> sets
# kube-controller-manager's --horizontal-pod-autoscaler-sync-period (15s).
#
# State lives under .cluster/<name>/ in the repository (git-ignored).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
bin="$root/bin"
cmd=${1:-}
name=${2:-appserver-dev}
[[ "$name" =~ ^[a-z0-9]([-a-z0-9]*[a-z0-9])?$ ]] || { echo "cluster.sh: bad cluster name '$name' (lower-case letters, digits, '-')" >&2; exit 2; }

# kwokctl keeps each cluster's files under $KWOK_WORKDIR/clusters/<name>.
export KWOK_WORKDIR="$root/.cluster/kwok"
kubeconfig="$root/.cluster/$name.kubeconfig"
kubectl() { "$bin/kubectl" --kubeconfig "$kubeconfig" "$@"; }
node_count=${KWOK_NODES:-2}
loopback_count=${LOOPBACK_NODES:-1}
service_cidr=${SERVICE_CIDR:-10.96.0.0/16}
hpa_sync_period=${HPA_SYNC_PERIOD:-15s}
# kwok holds each node's Lease under an identity that is new at every start
# (hostname + a random id), and a new kwok takes a node over only when the
# previous holder's Lease has expired. kwokctl's default duration is 200 s
# (40 s x heartbeat factor 5), so after `stop` + `start` the restarted kwok
# ignored the nodes' pods (no pod ran, none was deleted) for about 3 minutes.
# 20 s (renewed every 5 s) lets it take over within ~25 s.
node_lease_seconds=20
[[ "$service_cidr" =~ ^[0-9.]+/[0-9]+$ ]] || { echo "cluster.sh: bad SERVICE_CIDR '$service_cidr'" >&2; exit 2; }
[[ "$hpa_sync_period" =~ ^[0-9]+(ms|s|m)$ ]] || { echo "cluster.sh: bad HPA_SYNC_PERIOD '$hpa_sync_period'" >&2; exit 2; }
[[ "$node_count" =~ ^[1-9][0-9]{0,2}$ ]] && ((node_count <= 250)) || { echo "cluster.sh: bad KWOK_NODES '$node_count' (1 to 250 nodes)" >&2; exit 2; }
[[ "$loopback_count" =~ ^[1-9][0-9]{0,2}$ ]] && ((loopback_count <= 100)) || { echo "cluster.sh: bad LOOPBACK_NODES '$loopback_count' (1 to 100 nodes)" >&2; exit 2; }

# The nodes: two ordinary kwok nodes, and one whose pods get loopback IPs
# (127.0.10.0/24), tainted so that only pods that tolerate it land there
# (LOOPBACK_NODES adds more of those).
nodes() {
	local n loopback_pods=500
	((loopback_count == 1)) || loopback_pods=250
	for n in $(seq -f 'kwok-node-%g' 0 $((node_count - 1))) kwok-loopback $(seq -f 'kwok-loopback-%g' 1 $((loopback_count - 1))); do
		local cidr taint="" pods=500 loopback=false
		case $n in
		kwok-node-*) cidr=10.244.${n#kwok-node-}.0/24 ;;
		kwok-loopback*)
			cidr=127.0.10.0/24
			[ "$n" = kwok-loopback ] || cidr=127.0.$((10 + ${n#kwok-loopback-})).0/24
			taint=$'\n  taints:\n  - key: appserver.dev/loopback\n    value: "true"\n    effect: NoSchedule'
			pods=$loopback_pods loopback=true
			;;
		esac
		cat <<EOF
---
apiVersion: v1
kind: Node
metadata:
  name: $n
  annotations:
    kwok.x-k8s.io/node: fake
    node.alpha.kubernetes.io/ttl: "0"
  labels:
    kubernetes.io/hostname: $n
    kubernetes.io/os: linux
    kubernetes.io/arch: amd64
    kubernetes.io/role: agent
    node-role.kubernetes.io/agent: ""
    type: kwok
    appserver.dev/loopback: "$loopback"
spec:
  podCIDR: $cidr
  podCIDRs: [$cidr]$taint
status:
  allocatable: {cpu: "32", memory: 256Gi, pods: "$pods"}
  capacity: {cpu: "32", memory: 256Gi, pods: "$pods"}
EOF
	done
}

# wait_for <seconds> <description> <command...>: poll until the command succeeds.
wait_for() {
	local timeout=$1 what=$2
	shift 2
	local deadline=$((SECONDS + timeout))
	until "$@" >/dev/null 2>&1; do
		if ((SECONDS >= deadline)); then
			echo "cluster.sh: timed out after ${timeout}s waiting for $what" >&2
			return 1
		fi
		sleep 0.5
	done
}

nodes_ready() {
	local ready
	ready=$(kubectl get nodes -o jsonpath='{range .items[*]}{.status.conditions[?(@.type=="Ready")].status}{"\n"}{end}' | grep -c '^True$')
	[ "$ready" -ge $((node_count + loopback_count)) ]
}

up() {
	for t in kwokctl kwok etcd kube-apiserver kube-controller-manager kube-scheduler kubectl; do
		[ -x "$bin/$t" ] || { echo "cluster.sh: $bin/$t is missing; run 'make tools' first" >&2; exit 1; }
	done
	mkdir -p "$root/.cluster"
	if [ -d "$KWOK_WORKDIR/clusters/$name" ] && kubectl get --raw /readyz >/dev/null 2>&1; then
		echo ">> cluster $name is already running"
	else
		# A half-created or stopped cluster is removed first.
		[ -d "$KWOK_WORKDIR/clusters/$name" ] && down >/dev/null 2>&1 || true
		echo ">> starting local cluster $name (kwokctl --runtime binary, Kubernetes $("$bin/kubectl" version --client -o json | sed -n 's/.*"gitVersion": "\(.*\)".*/\1/p' | head -1))"
		"$bin/kwokctl" create cluster \
			--name "$name" \
			--runtime binary \
			--kubeconfig "$kubeconfig" \
			--etcd-binary "$bin/etcd" \
			--kube-apiserver-binary "$bin/kube-apiserver" \
			--kube-controller-manager-binary "$bin/kube-controller-manager" \
			--kube-scheduler-binary "$bin/kube-scheduler" \
			--kwok-controller-binary "$bin/kwok" \
			--disable-qps-limits \
			--extra-args "kube-apiserver=service-cluster-ip-range=$service_cidr" \
			--extra-args "kube-controller-manager=horizontal-pod-autoscaler-sync-period=$hpa_sync_period" \
			--extra-args "kwok-controller=node-lease-duration-seconds=$node_lease_seconds" \
			--wait 2m >"$root/.cluster/$name.create.log" 2>&1 || {
			echo "cluster.sh: kwokctl create cluster failed; its output:" >&2
			cat "$root/.cluster/$name.create.log" >&2
			exit 1
		}
	fi
	echo ">> waiting for the API server"
	wait_for 180 "the API server to answer /readyz" kubectl get --raw /readyz
	if ((loopback_count == 1)); then
		echo ">> creating nodes kwok-node-0..$((node_count - 1)) and kwok-loopback (pods on it get 127.0.10.x IPs)"
	else
		echo ">> creating nodes kwok-node-0..$((node_count - 1)), kwok-loopback and kwok-loopback-1..$((loopback_count - 1)) (pods on them get 127.0.10.x..127.0.$((9 + loopback_count)).x IPs, 250 pods each)"
	fi
	nodes | kubectl apply -f - >/dev/null
	wait_for 180 "$((node_count + loopback_count)) Ready nodes" nodes_ready
	wait_for 180 "the default ServiceAccount" kubectl -n default get serviceaccount default
	cat <<EOF
>> cluster $name is ready.
   kubeconfig: $kubeconfig
   try:        $bin/kubectl --kubeconfig $kubeconfig get nodes
   or:         export KUBECONFIG=$kubeconfig
   stop it:    make cluster-down CLUSTER=$name
EOF
}

down() {
	if [ -x "$bin/kwokctl" ] && [ -d "$KWOK_WORKDIR/clusters/$name" ]; then
		echo ">> deleting local cluster $name"
		"$bin/kwokctl" delete cluster --name "$name" --kubeconfig "$kubeconfig" >/dev/null 2>&1 || true
	fi
	# Whatever kwokctl could not stop (a crashed create) is stopped here: every
	# process whose command line points into this cluster's directory.
	local dir="$KWOK_WORKDIR/clusters/$name" pids
	pids=$(pgrep -f -- "$dir/" || true)
	if [ -n "$pids" ]; then
		kill $pids 2>/dev/null || true
		local deadline=$((SECONDS + 10))
		while pgrep -f -- "$dir/" >/dev/null && ((SECONDS < deadline)); do sleep 0.2; done
		pids=$(pgrep -f -- "$dir/" || true)
		[ -z "$pids" ] || kill -9 $pids 2>/dev/null || true
	fi
	rm -rf "$dir" "$kubeconfig" "$root/.cluster/$name.create.log"
	echo ">> cluster $name is gone"
}

# stop and start keep the cluster's directory, so etcd's data and every
# object survive; the API server comes back on the same address.
stop() {
	[ -d "$KWOK_WORKDIR/clusters/$name" ] || { echo "cluster.sh: no cluster $name" >&2; exit 1; }
	"$bin/kwokctl" stop cluster --name "$name" >/dev/null
	echo ">> cluster $name is stopped"
}

start() {
	[ -d "$KWOK_WORKDIR/clusters/$name" ] || { echo "cluster.sh: no cluster $name" >&2; exit 1; }
	"$bin/kwokctl" start cluster --name "$name" >/dev/null
	wait_for 180 "the API server to answer /readyz" kubectl get --raw /readyz
	echo ">> cluster $name is running again"
}

case "$cmd" in
up) up ;;
down) down ;;
stop) stop ;;
start) start ;;
kubeconfig) echo "$kubeconfig" ;;
*)
	echo "usage: hack/cluster.sh up|down|stop|start|kubeconfig [name]" >&2
	exit 2
	;;
esac
