# syntax=docker/dockerfile:1
# Image of the cem collector. Build from the repository root (the go.work
# workspace is the context):
#
#   docker build -f deploy/docker/collector.Dockerfile -t cem/collector:dev --build-arg VERSION=$(git describe --always) .
#
# Stage 1 compiles a static binary (CGO_ENABLED=0) from the workspace; stage 2
# is distroless/static (CA certificates and tzdata, no shell) running as the
# distroless nonroot user (uid 65532). deploy/docker/collector.Dockerfile.dockerignore
# keeps .data/, .git/ and build output out of the context.
ARG GO_VERSION=1.26

FROM golang:${GO_VERSION}-bookworm AS build
WORKDIR /src
ENV CGO_ENABLED=0 GOFLAGS=-trimpath
# The whole workspace: go.work names every module, so all of them must be present.
COPY . .
ARG VERSION=dev
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    go build -ldflags "-s -w -X main.version=${VERSION}" -o /out/collector ./services/collector

FROM gcr.io/distroless/static-debian12:nonroot
ARG VERSION=dev
LABEL org.opencontainers.image.title="cem-collector" \
      org.opencontainers.image.source="https://github.com/cemhq/cem" \
      org.opencontainers.image.version="${VERSION}"
COPY --from=build /out/collector /usr/local/bin/collector
USER 65532:65532
# HTTP ingestion (/v1/*) and /metrics /healthz /readyz
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/collector"]
