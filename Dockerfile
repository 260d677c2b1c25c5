# The operator image for docker, podman, buildah and OpenShift binary builds
# (oc new-build --strategy=docker --binary). It produces the layout `make image`
# builds without any container runtime (see docs/image.md): FROM scratch, one
# static binary at /appserver-operator, /licenses/LICENSE, numeric non-root
# user 65532:65532, the same OCI labels. hack/tools/image/dockerfile_test.go
# holds the two to each other.
#
#   docker build $(make -s version | sed 's/^/--build-arg /') -t appserver-operator:dev .
#
# The builder image is a build argument so a mirror or UBI Go toolset can
# stand in for Docker Hub's: --build-arg GO_IMAGE=registry.example.com/golang:1.26

ARG GO_IMAGE=docker.io/library/golang:1.26

# The builder runs on the build host's platform and cross-compiles for the
# target's, so multi-platform builds (docker buildx --platform ...) need no emulation.
FROM --platform=$BUILDPLATFORM ${GO_IMAGE} AS builder
ARG TARGETOS
ARG TARGETARCH
ARG VERSION=dev
ARG COMMIT=unknown
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY api/ api/
COPY cmd/ cmd/
COPY internal/ internal/
RUN CGO_ENABLED=0 GOOS=${TARGETOS:-linux} GOARCH=${TARGETARCH} GOFLAGS=-buildvcs=false \
    go build -trimpath \
      -ldflags "-s -w -X github.com/appserver-operator/appserver-operator/internal/version.Version=${VERSION} -X github.com/appserver-operator/appserver-operator/internal/version.Commit=${COMMIT}" \
      -o /out/appserver-operator ./cmd/appserver-operator

FROM scratch
ARG VERSION=dev
ARG COMMIT=unknown
ARG CREATED=1970-01-01T00:00:00Z
LABEL org.opencontainers.image.source="https://github.com/appserver-operator/appserver-operator" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${COMMIT}" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.created="${CREATED}" \
      org.opencontainers.image.title="appserver-operator" \
      org.opencontainers.image.description="Kubernetes operator that runs Java application servers from one ApplicationServer resource"
COPY --from=builder /out/appserver-operator /appserver-operator
COPY LICENSE /licenses/LICENSE
USER 65532:65532
ENTRYPOINT ["/appserver-operator"]
