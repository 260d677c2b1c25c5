# appserver-operator Makefile. `make help` lists the targets.
#
# Every tool is built from the Go modules pinned under hack/tools into ./bin
# (make tools); nothing is downloaded from anywhere but the Go module proxy.

SHELL := /usr/bin/env bash -o pipefail
.SHELLFLAGS := -ec
.DEFAULT_GOAL := help

export GOTOOLCHAIN ?= local
ROOT := $(shell pwd)
BIN := $(ROOT)/bin
export PATH := $(BIN):$(PATH)

# RELEASE (the file VERSION) is the release this tree is heading to: the
# manifests, the chart and the docs name the operator image by it, never by
# :latest. The binary's own version comes from `git describe`: the tag itself
# on a release commit, else RELEASE-dev-g<commit>, with -dirty for a changed tree.
RELEASE := $(shell cat $(ROOT)/VERSION)
COMMIT ?= $(shell git rev-parse HEAD 2>/dev/null || echo unknown)
VERSION ?= $(shell git describe --tags --match 'v*' --exact-match --dirty 2>/dev/null || \
	echo "$(RELEASE)-dev-g$$(git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)$$(git diff --quiet HEAD 2>/dev/null || echo -dirty)")
# The operator image the manifests and the chart point at (make manifests IMG=...).
IMG ?= ghcr.io/appserver-operator/appserver-operator:$(RELEASE)
LDFLAGS := -s -w -X github.com/appserver-operator/appserver-operator/internal/version.Version=$(VERSION) \
	-X github.com/appserver-operator/appserver-operator/internal/version.Commit=$(COMMIT)
# The log shipper (cmd/appserver-log-shipper, its own Go module) carries the operator's version.
SHIPPER_LDFLAGS := -s -w -X main.version=$(VERSION)

CONTROLLER_GEN := $(BIN)/controller-gen
GOLANGCI_LINT := $(BIN)/golangci-lint
KUBECTL := $(BIN)/kubectl
HELM := $(BIN)/helm

# envtest runs the same etcd and kube-apiserver as the local cluster.
export KUBEBUILDER_ASSETS := $(BIN)
# Name of the local cluster (make cluster-up / cluster-down / demo).
CLUSTER ?= appserver-dev
# Extra arguments for go test, e.g. GOTESTFLAGS='-run TestX -v'.
GOTESTFLAGS ?=

##@ General

.PHONY: help
help: ## Show this help.
	@awk 'BEGIN {FS = ":.*##"; printf "Usage: make \033[36m<target>\033[0m\n"} \
		/^[a-zA-Z_0-9-]+:.*?##/ { printf "  \033[36m%-18s\033[0m %s\n", $$1, $$2 } \
		/^##@/ { printf "\n\033[1m%s\033[0m\n", substr($$0, 5) }' $(MAKEFILE_LIST)

##@ Development

.PHONY: tools
tools: ## Build every pinned tool into ./bin (first run ~10 min; later runs rebuild only changed versions).
	@hack/tools/build.sh

.PHONY: generate
generate: $(CONTROLLER_GEN) ## Generate deepcopy code from the API types.
	$(CONTROLLER_GEN) object:headerFile=hack/boilerplate.go.txt paths=./api/...

.PHONY: manifests
manifests: $(CONTROLLER_GEN) $(KUBECTL) ## Generate the CRD and RBAC into config/ and the install files into manifest/.
	$(CONTROLLER_GEN) crd rbac:roleName=appserver-operator paths=./api/... paths=./internal/controller/... \
		output:crd:artifacts:config=config/crd/bases output:rbac:artifacts:config=config/rbac
	@IMG='$(IMG)' hack/manifests.sh
	@hack/prometheusrule.sh

.PHONY: fmt
fmt: ## Run gofmt on the code.
	gofmt -s -w $$(git ls-files '*.go')

.PHONY: lint
lint: $(GOLANGCI_LINT) ## Run golangci-lint (with the integration and e2e build tags, see .golangci.yml).
	$(GOLANGCI_LINT) run ./...
	cd cmd/appserver-log-shipper && $(GOLANGCI_LINT) run ./...

.PHONY: lint-chart
lint-chart: $(HELM) ## Lint the Helm chart (helm lint --strict, both RBAC scopes).
	$(HELM) lint --strict charts/appserver-operator
	$(HELM) lint --strict charts/appserver-operator --set rbac.scope=namespaced --set 'watchNamespaces={team-a}'

.PHONY: verify
verify: $(CONTROLLER_GEN) $(KUBECTL) ## Fail when generated files or go.mod files are stale, or lint finds something.
	@hack/verify.sh
	@$(MAKE) --no-print-directory lint lint-chart

.PHONY: vulncheck
vulncheck: ## Run govulncheck against the offline database in bin/vulndb (make verify runs it; ~30 s).
	@hack/vulncheck.sh

##@ Test

.PHONY: test
test: tools verify test-unit test-rules test-integration test-e2e test-image bench-smoke ## Run everything CI runs: verify, unit, alert rules, integration, end-to-end, image.

.PHONY: test-unit
test-unit: ## Unit tests and short fuzz runs of the builders, the log-shipper config and the converter (no API server).
	go test $(GOTESTFLAGS) ./...
	go -C cmd/appserver-log-shipper test -trimpath -vet=off $(GOTESTFLAGS) ./... # reuses make build's compiled collector; vet: make lint
	go test -run '^$$' -fuzz FuzzBuilders -fuzztime 20s ./internal/resources/
	go test -run '^$$' -fuzz FuzzLogShipperConfig -fuzztime 10s ./internal/resources/
	go test -run '^$$' -fuzz FuzzConvert -fuzztime 10s ./internal/convert/

.PHONY: test-rules
test-rules: $(BIN)/promtool ## Check the alert rules and run their unit tests (promtool check rules, promtool test rules).
	$(BIN)/promtool check rules config/prometheus/alerts.yaml
	$(BIN)/promtool test rules config/prometheus/tests/*.yaml

.PHONY: test-integration
test-integration: tools ## Integration tests against a real kube-apiserver and etcd (envtest).
	go test -tags integration $(GOTESTFLAGS) ./internal/controller/... ./cmd/...

.PHONY: test-e2e
test-e2e: tools build build-next ## End-to-end tests on a throwaway local kwok cluster.
	go test -tags e2e -timeout 40m -count=1 $(GOTESTFLAGS) ./test/e2e/...

# Size and seed of make test-chaos: full (500 servers, 200 drift mutations) or ci
# (40 and 40: the size test-e2e runs it at).
CHAOS_SIZE ?= full
CHAOS_SEED ?= 13

.PHONY: test-chaos
test-chaos: tools build ## The chaos suite (TestChaos) at CHAOS_SIZE (default full) on a cluster of its own: SIGKILLs, a control-plane outage, a leader kill, a drift storm; test-e2e runs it at the ci size.
	CHAOS_SIZE=$(CHAOS_SIZE) CHAOS_SEED=$(CHAOS_SEED) E2E_CLUSTER=$${E2E_CLUSTER:-chaos-$$$$} \
		go test -tags e2e -count=1 -timeout 60m -run '^TestChaos$$' -v $(GOTESTFLAGS) ./test/e2e/

.PHONY: test-helm
test-helm: tools build ## The chart's and the plain manifests' end-to-end tests only (real helm, local cluster).
	go test -tags e2e -count=1 -run 'TestHelm|TestNamespacedInstallWithRolesOnly' $(GOTESTFLAGS) ./test/e2e/...

##@ Benchmark

# Servers per run of make bench, and more flags for it (go run ./test/bench -help).
N ?= 1000
BENCH_FLAGS ?=

.PHONY: bench
bench: tools build ## Measure N servers (default 1000) through the operator against direct creation; writes docs/performance.md.
	go run ./test/bench -n $(N) -cluster bench-$$$$ -out docs/performance.md \
		-command 'make bench N=$(N)$(if $(BENCH_FLAGS), BENCH_FLAGS="$(BENCH_FLAGS)")' $(BENCH_FLAGS)

# Unrelated 100 KiB Secrets of make bench-secrets.
SECRETS ?= 2000

.PHONY: bench-secrets
bench-secrets: tools build ## The operator's RSS before and after SECRETS (default 2000) unrelated 100 KiB Secrets appear (config rollouts' memory bound; prints a table for docs/performance.md).
	SECRET_MEMORY_BENCH=1 SECRETS=$(SECRETS) E2E_CLUSTER=$${E2E_CLUSTER:-bench-secrets-$$$$} \
		go test -tags e2e -count=1 -timeout 30m -run '^TestSecretMemory$$' -v $(GOTESTFLAGS) ./test/e2e/

.PHONY: bench-smoke
bench-smoke: tools build ## A small run of the benchmark (N=20) that checks every figure is present; no speed assertion.
	go run ./test/bench -n 20 -idle 3s -timeout 3m -cluster bench-smoke-$$$$ -smoke

# Pods of make bench-metering, and more flags for it (go run ./test/benchmetering -help).
PODS ?= 1000
BENCH_METERING_FLAGS ?=

.PHONY: bench-metering
bench-metering: tools build ## Meter PODS (default 1000) stand-in pods at the default interval: round time, operator CPU and RSS, metering API latency; prints the table of docs/performance.md. Not in CI.
	go run ./test/benchmetering -pods $(PODS) -cluster bench-metering-$$$$ \
		-command 'make bench-metering PODS=$(PODS)$(if $(BENCH_METERING_FLAGS), BENCH_METERING_FLAGS="$(BENCH_METERING_FLAGS)")' $(BENCH_METERING_FLAGS)

# Rates (lines/s) and duration of each run of make bench-logs.
BENCH_LOGS_RATES ?= 1000,10000
BENCH_LOGS_DURATION ?= 60s
# The shipper's memory limit in MiB (a memory cgroup of its own, GOMEMLIMIT, memory_limiter), and more flags (go run ./test/benchlogs -help).
BENCH_LOGS_MEMORY ?= 64
BENCH_LOGS_FLAGS ?=

.PHONY: bench-logs
bench-logs: tools build ## Measure the log shipper into VictoriaLogs (lines/s, lag p99, RSS, CPU) in a BENCH_LOGS_MEMORY (default 64) MiB memory cgroup; prints the table of docs/logging.md. Not in CI.
	go run ./test/benchlogs -bin $(BIN) -rates $(BENCH_LOGS_RATES) -duration $(BENCH_LOGS_DURATION) -memory-limit $(BENCH_LOGS_MEMORY) $(BENCH_LOGS_FLAGS)

##@ Build

.PHONY: build
build: ## Build the operator and the log shipper into bin/ (appserver-operator, appserver-log-shipper).
	CGO_ENABLED=0 go build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN)/appserver-operator ./cmd/appserver-operator
	CGO_ENABLED=0 go -C cmd/appserver-log-shipper build -trimpath -ldflags '$(SHIPPER_LDFLAGS)' -o $(BIN)/appserver-log-shipper .

# The upgrade test (test/e2e/upgrade_test.go) replaces bin/appserver-operator
# with this one: the same code, another version string.
.PHONY: build-next
build-next: ## Build bin/appserver-operator-next: the operator with version <VERSION>-next, for the e2e upgrade test.
	CGO_ENABLED=0 go build -trimpath -ldflags '$(subst version.Version=$(VERSION) ,version.Version=$(VERSION)-next ,$(LDFLAGS))' -o $(BIN)/appserver-operator-next ./cmd/appserver-operator

##@ Image

# The operator image is built by hack/tools/image (go-containerregistry) from
# the binaries cross-compiled below: FROM scratch, no container runtime. See
# docs/image.md.
IMAGE_DIR ?= $(BIN)/image
# amd64 and arm64 by default. ppc64le and s390x build and are tested too
# (IMAGE_PLATFORMS='linux/amd64 linux/arm64 linux/ppc64le linux/s390x'), but each
# costs ~8 minutes of cold compilation on 2 cores, so they are opt-in.
IMAGE_PLATFORMS ?= linux/amd64 linux/arm64
# Every timestamp in the image: the commit's time, so a commit builds the same digest.
SOURCE_DATE_EPOCH ?= $(shell git log -1 --format=%ct 2>/dev/null || echo 0)
IMAGE_TOOL := go -C $(ROOT)/hack/tools/image run .
image_dir = $(abspath $(IMAGE_DIR))

.PHONY: image
image: ## Build the multi-arch operator image into bin/image/: an OCI layout and a docker/podman tarball per platform.
	@for p in $(IMAGE_PLATFORMS); do \
		echo ">> image: go build $$p"; \
		CGO_ENABLED=0 GOOS=$${p%%/*} GOARCH=$${p#*/} go build -trimpath -ldflags '$(LDFLAGS)' \
			-o $(image_dir)/bin/$${p%%/*}-$${p#*/}/appserver-operator ./cmd/appserver-operator; \
	done
	@$(IMAGE_TOOL) build --name appserver-operator --tag $(IMG) --out $(image_dir) \
		--entrypoint /appserver-operator --user 65532:65532 --source-date-epoch $(SOURCE_DATE_EPOCH) \
		$(foreach p,$(IMAGE_PLATFORMS),--binary $(p)=$(image_dir)/bin/$(subst /,-,$(p))/appserver-operator) \
		--file /licenses/LICENSE=$(ROOT)/LICENSE \
		--label org.opencontainers.image.source=https://github.com/appserver-operator/appserver-operator \
		--label org.opencontainers.image.version=$(VERSION) \
		--label org.opencontainers.image.revision=$(COMMIT) \
		--label org.opencontainers.image.licenses=Apache-2.0 \
		--label 'org.opencontainers.image.description=Kubernetes operator that runs Java application servers from one ApplicationServer resource'

# The log-shipper image (cmd/appserver-log-shipper), the default of the
# LOG_SHIPPER_IMAGE setting: same builder, same platforms, its own layout.
SHIPPER_IMG ?= ghcr.io/appserver-operator/appserver-log-shipper:$(RELEASE)

.PHONY: image-log-shipper
image-log-shipper: ## Build the multi-arch log-shipper image into bin/image/log-shipper/ (its own target: the collector takes minutes to cross-compile cold).
	@for p in $(IMAGE_PLATFORMS); do \
		echo ">> image-log-shipper: go build $$p"; \
		CGO_ENABLED=0 GOOS=$${p%%/*} GOARCH=$${p#*/} go -C cmd/appserver-log-shipper build -trimpath -ldflags '$(SHIPPER_LDFLAGS)' \
			-o $(image_dir)/bin/$${p%%/*}-$${p#*/}/appserver-log-shipper .; \
	done
	@$(IMAGE_TOOL) build --name appserver-log-shipper --tag $(SHIPPER_IMG) --out $(image_dir)/log-shipper \
		--entrypoint /appserver-log-shipper --cmd=--config=/etc/log-shipper/config.yaml \
		--user 65532:65532 --source-date-epoch $(SOURCE_DATE_EPOCH) \
		$(foreach p,$(IMAGE_PLATFORMS),--binary $(p)=$(image_dir)/bin/$(subst /,-,$(p))/appserver-log-shipper) \
		--file /licenses/LICENSE=$(ROOT)/LICENSE \
		--label org.opencontainers.image.source=https://github.com/appserver-operator/appserver-operator \
		--label org.opencontainers.image.version=$(VERSION) \
		--label org.opencontainers.image.revision=$(COMMIT) \
		--label org.opencontainers.image.licenses=Apache-2.0 \
		--label 'org.opencontainers.image.description=Log-shipper sidecar of appserver-operator (an OpenTelemetry Collector distribution)'

.PHONY: image-push
image-push: ## Push the image index make image built to IMG=<registry>/<repo>:<tag> (docker/podman credentials).
	@$(IMAGE_TOOL) push --layout $(image_dir)/oci $(IMG)

.PHONY: image-push-log-shipper
image-push-log-shipper: ## Push the log-shipper index make image-log-shipper built to SHIPPER_IMG=<registry>/<repo>:<tag>.
	@$(IMAGE_TOOL) push --layout $(image_dir)/log-shipper/oci $(SHIPPER_IMG)

.PHONY: test-image
test-image: ## Image tests: same digest twice, push/pull through an in-process registry, Dockerfile parse.
	go -C hack/tools/image vet ./...
	IMAGE_PLATFORMS='$(IMAGE_PLATFORMS)' go -C hack/tools/image test -count=1 -timeout 15m $(GOTESTFLAGS) ./...

.PHONY: version
version: ## Print the version, commit and source date the binaries and the image are stamped with.
	@echo VERSION=$(VERSION)
	@echo COMMIT=$(COMMIT)
	@echo SOURCE_DATE_EPOCH=$(SOURCE_DATE_EPOCH)
	@echo CREATED=$$(date -u -d @$(SOURCE_DATE_EPOCH) +%Y-%m-%dT%H:%M:%SZ 2>/dev/null || date -u -r $(SOURCE_DATE_EPOCH) +%Y-%m-%dT%H:%M:%SZ)

##@ Local cluster

.PHONY: cluster-up
cluster-up: tools ## Start the local kwok cluster CLUSTER (default appserver-dev) and print its kubeconfig.
	@hack/cluster.sh up $(CLUSTER)

.PHONY: cluster-down
cluster-down: ## Stop the local cluster CLUSTER and remove its state.
	@hack/cluster.sh down $(CLUSTER)

.PHONY: demo
demo: tools build ## Run the demo: local cluster, CRD, operator, a sample ApplicationServer.
	@hack/demo.sh $(CLUSTER)

$(CONTROLLER_GEN) $(GOLANGCI_LINT) $(KUBECTL):
	@hack/tools/build.sh $(notdir $@)
$(HELM):
	@hack/tools/build.sh helm
$(BIN)/promtool:
	@hack/tools/build.sh promtool
