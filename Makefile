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

CONTROLLER_GEN := $(BIN)/controller-gen
GOLANGCI_LINT := $(BIN)/golangci-lint
KUBECTL := $(BIN)/kubectl

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
	$(CONTROLLER_GEN) crd rbac:roleName=appserver-operator paths=./... \
		output:crd:artifacts:config=config/crd/bases output:rbac:artifacts:config=config/rbac
	@hack/manifests.sh
	@hack/prometheusrule.sh

.PHONY: fmt
fmt: ## Run gofmt on the code.
	gofmt -s -w $$(git ls-files '*.go')

.PHONY: lint
lint: $(GOLANGCI_LINT) ## Run golangci-lint (with the integration and e2e build tags, see .golangci.yml).
	$(GOLANGCI_LINT) run ./...

.PHONY: verify
verify: $(CONTROLLER_GEN) $(KUBECTL) ## Fail when generated files or go.mod files are stale, or lint finds something.
	@hack/verify.sh
	@$(MAKE) --no-print-directory lint

##@ Test

.PHONY: test
test: tools verify test-unit test-rules test-integration test-e2e ## Run everything CI runs: verify, unit, integration, end-to-end.

.PHONY: test-unit
test-unit: ## Unit tests and a short fuzz run of the builders (no API server).
	go test $(GOTESTFLAGS) ./...
	go test -run '^$$' -fuzz FuzzBuilders -fuzztime 20s ./internal/resources/

.PHONY: test-rules
test-rules: $(BIN)/promtool ## Check the alert rules and run their unit tests (promtool check rules, promtool test rules).
	$(BIN)/promtool check rules config/prometheus/alerts.yaml
	$(BIN)/promtool test rules config/prometheus/tests/*.yaml

.PHONY: test-integration
test-integration: tools ## Integration tests against a real kube-apiserver and etcd (envtest).
	go test -tags integration $(GOTESTFLAGS) ./internal/controller/... ./cmd/...

.PHONY: test-e2e
test-e2e: tools build ## End-to-end tests on a throwaway local kwok cluster.
	go test -tags e2e -timeout 40m -count=1 $(GOTESTFLAGS) ./test/e2e/...

##@ Build

.PHONY: build
build: ## Build the operator into bin/appserver-operator.
	CGO_ENABLED=0 go build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN)/appserver-operator ./cmd/appserver-operator

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

$(BIN)/promtool:
	@hack/tools/build.sh promtool
