#!/usr/bin/env bash
# Fails when a generated file is stale (deepcopy, CRD, RBAC, manifest/), a
# go.mod is not tidy, or Go code is not gofmt'ed. Generated files are
# regenerated in place: when they changed, the message says which, and the
# regenerated files are ready to commit.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
fail=0

generated() {
	git ls-files -co --exclude-standard -- 'api/**/zz_generated.*.go' config/crd/bases config/rbac/role.yaml manifest \
		config/manager/kustomization.yaml charts/appserver-operator/Chart.yaml charts/appserver-operator/crds charts/appserver-operator/files \
		config/prometheus/prometheusrule.yaml
}
snapshot() { generated | sort | xargs -r sha256sum; }

echo ">> verify: generated files"
before=$(snapshot)
make -s generate manifests >/dev/null
after=$(snapshot)
if [ "$before" != "$after" ]; then
	echo "verify: generated files were stale and have been regenerated; commit them:" >&2
	diff <(echo "$before") <(echo "$after") | grep '^[<>]' | awk '{print "   " $3}' | sort -u >&2
	fail=1
fi

echo ">> verify: no install file or doc names an image by :latest"
if latest=$(git grep --untracked -nE '[[:alnum:]_./-]:latest([^[:alnum:]_.-]|$)' -- manifest charts config docs); then
	echo "verify: these name :latest; name the release (make manifests IMG=...):" >&2
	echo "$latest" | sed 's/^/   /' >&2
	fail=1
fi

echo ">> verify: go.mod files are tidy"
for mod in . hack/tools hack/tools/etcd hack/tools/golangci-lint hack/tools/prometheus hack/tools/helm hack/tools/image hack/tools/govulncheck hack/tools/victorialogs cmd/appserver-log-shipper; do
	if ! (cd "$mod" && go mod tidy -diff >/dev/null 2>&1); then
		echo "verify: $mod/go.mod is not tidy: run (cd $mod && go mod tidy)" >&2
		fail=1
	fi
done

echo ">> verify: govulncheck (offline database, bin/vulndb)"
hack/vulncheck.sh || fail=1

echo ">> verify: gofmt"
unformatted=$(gofmt -s -l $(git ls-files -co --exclude-standard '*.go'))
if [ -n "$unformatted" ]; then
	echo "verify: not gofmt -s'ed (run make fmt):" >&2
	echo "$unformatted" | sed 's/^/   /' >&2
	fail=1
fi
exit $fail
