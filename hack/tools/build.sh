#!/usr/bin/env bash
# Builds the project's tools into ./bin from the Go modules pinned under
# hack/tools (go.mod files there are the one place every version is pinned).
#
#   hack/tools/build.sh [tool ...]     # no argument: every tool
#
# A tool is rebuilt only when its pinned version changed: each build leaves a
# stamp bin/.stamps/<tool> holding the version it was built from.
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
tools_dir="$root/hack/tools"
bin="$root/bin"
stamps="$bin/.stamps"
mkdir -p "$stamps"

export GOTOOLCHAIN="${GOTOOLCHAIN:-local}"
export CGO_ENABLED=0

# tool -> "module-dir|package|module-whose-version-is-the-tool's[|build tags]"
declare -A spec=(
	[kube-apiserver]="$tools_dir|k8s.io/kubernetes/cmd/kube-apiserver|k8s.io/kubernetes"
	[kube-controller-manager]="$tools_dir|k8s.io/kubernetes/cmd/kube-controller-manager|k8s.io/kubernetes"
	[kube-scheduler]="$tools_dir|k8s.io/kubernetes/cmd/kube-scheduler|k8s.io/kubernetes"
	[kubectl]="$tools_dir|k8s.io/kubernetes/cmd/kubectl|k8s.io/kubernetes"
	[kwok]="$tools_dir|sigs.k8s.io/kwok/cmd/kwok|sigs.k8s.io/kwok"
	[kwokctl]="$tools_dir|sigs.k8s.io/kwok/cmd/kwokctl|sigs.k8s.io/kwok"
	[controller-gen]="$tools_dir|sigs.k8s.io/controller-tools/cmd/controller-gen|sigs.k8s.io/controller-tools"
	[etcd]="$tools_dir/etcd|go.etcd.io/etcd/server/v3|go.etcd.io/etcd/server/v3"
	[golangci-lint]="$tools_dir/golangci-lint|github.com/golangci/golangci-lint/v2/cmd/golangci-lint|github.com/golangci/golangci-lint/v2"
	# Debian's prometheus has Kubernetes discovery removed: build upstream's,
	# with only that discovery compiled in.
	[prometheus]="$tools_dir/prometheus|github.com/prometheus/prometheus/cmd/prometheus|github.com/prometheus/prometheus|remove_all_sd,enable_kubernetes_sd"
	[promtool]="$tools_dir/prometheus|github.com/prometheus/prometheus/cmd/promtool|github.com/prometheus/prometheus|remove_all_sd,enable_kubernetes_sd"
	[helm]="$tools_dir/helm|helm.sh/helm/v4/cmd/helm|helm.sh/helm/v4"
	[govulncheck]="$tools_dir/govulncheck|golang.org/x/vuln/cmd/govulncheck|golang.org/x/vuln"
	# Not a binary: the vulnerability database (bin/vulndb, v1 format for
	# govulncheck -db file://), indexed offline from the OSV files the
	# golang.org/x/vulndb module ships, by that module's cmd/indexdb.
	[vulndb]="$tools_dir/govulncheck|golang.org/x/vulndb/cmd/indexdb|golang.org/x/vulndb"
	# The real log store of the log shipper's e2e tests and make bench-logs.
	[victoria-logs]="$tools_dir/victorialogs|github.com/VictoriaMetrics/VictoriaLogs/app/victoria-logs|github.com/VictoriaMetrics/VictoriaLogs"
)
order=(etcd kube-apiserver kube-controller-manager kube-scheduler kubectl kwok kwokctl controller-gen golangci-lint prometheus promtool helm govulncheck vulndb victoria-logs)

version_ldflags() { # module version -> extra -ldflags setting the binary's own version
	local module=$1 version=$2
	case "$module" in
	k8s.io/kubernetes)
		local v=${version#v} major minor
		major=${v%%.*}
		minor=${v#*.}
		minor=${minor%%.*}
		local f=""
		for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
			f+=" -X $pkg.gitVersion=$version -X $pkg.gitMajor=$major -X $pkg.gitMinor=$minor"
			f+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z"
		done
		echo "$f"
		;;
	sigs.k8s.io/kwok)
		echo "-X sigs.k8s.io/kwok/pkg/consts.Version=${version#v} -X sigs.k8s.io/kwok/pkg/consts.KubeVersion=1.37.0"
		;;
	github.com/golangci/golangci-lint/v2)
		echo "-X main.version=${version#v}"
		;;
	github.com/prometheus/prometheus)
		# module v0.3MM.P is Prometheus 3.MM.P
		local v=${version#v0.} mm
		mm=${v%%.*}
		echo "-X github.com/prometheus/common/version.Version=${mm:0:1}.${mm:1}.${v#*.}"
		;;
	helm.sh/helm/v4)
		echo "-X helm.sh/helm/v4/internal/version.version=$version -X helm.sh/helm/v4/internal/version.gitTreeState=clean"
		;;
	esac
}

tools=("$@")
[ ${#tools[@]} -gt 0 ] || tools=("${order[@]}")

pending=()
for t in "${tools[@]}"; do
	[ -n "${spec[$t]:-}" ] || { echo "build.sh: unknown tool '$t' (known: ${order[*]})" >&2; exit 2; }
	IFS='|' read -r dir pkg module tags <<<"${spec[$t]}"
	version=$(cd "$dir" && go list -m -f '{{.Version}}' "$module")
	if [ -x "$bin/$t" ] && [ "$(cat "$stamps/$t" 2>/dev/null)" = "$version" ]; then
		continue
	fi
	pending+=("$t|$dir|$pkg|$module|$version|${tags:-}")
done

[ ${#pending[@]} -gt 0 ] || exit 0
echo ">> building ${#pending[@]} tool(s) into bin/ from pinned Go modules."
echo "   A cold first build of the Kubernetes binaries takes about 10 minutes on 2 cores;"
echo "   later runs rebuild a tool only when its version in hack/tools/**/go.mod changes."
for p in "${pending[@]}"; do
	IFS='|' read -r t dir pkg module version tags <<<"$p"
	start=$(date +%s)
	printf '>> %-24s %s@%s ... ' "$t" "$module" "$version"
	ldflags="-s -w $(version_ldflags "$module" "$version")"
	if [ "$t" = vulndb ]; then
		rm -rf "$bin/$t.tmp"
		(cd "$dir" && go mod download "$module" && go run -trimpath "$pkg" -vulns "$(go list -m -f '{{.Dir}}' "$module")/data/osv" -out "$bin/$t.tmp")
		rm -rf "$bin/$t"
	else
		(cd "$dir" && go build -trimpath -tags "$tags" -ldflags "$ldflags" -o "$bin/$t.tmp" "$pkg")
	fi
	mv "$bin/$t.tmp" "$bin/$t"
	echo "$version" >"$stamps/$t"
	echo "done in $(($(date +%s) - start))s"
done
