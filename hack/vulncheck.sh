#!/usr/bin/env bash
# Runs govulncheck on the operator's module and on the log shipper's
# (cmd/appserver-log-shipper, its own module) against the vulnerability database
# built into bin/vulndb by make tools (from the golang.org/x/vulndb module:
# nothing is fetched from vuln.go.dev), and applies the policy of
# hack/tools/govulncheck/vulnpolicy: a called vulnerability in a module we
# require fails; one in the standard library is printed, and fails only with
# VULNCHECK_STDLIB=fail (only a newer Go than the machine's fixes it).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
"$root/hack/tools/build.sh" govulncheck vulndb
out=$(mktemp)
trap 'rm -f "$out"' EXIT
for module in . cmd/appserver-log-shipper; do
	echo ">> govulncheck $module"
	# Exit status 3 means "vulnerabilities found": the policy below decides.
	"$root/bin/govulncheck" -C "$root/$module" -db "file://$root/bin/vulndb" -format json ./... >"$out" || [ $? -eq 3 ]
	go -C "$root/hack/tools/govulncheck" run ./vulnpolicy -stdlib="${VULNCHECK_STDLIB:-warn}" <"$out"
done
