# syntax=docker/dockerfile:1
# Dray's images (docs/deploy.md):
#   docker build -t dray .                                      every binary, distroless, non-root
#   docker build --target executor-container -t dray-executor-container .
#                                                               dray-executor-container and runc
# docker-compose.yaml and the Helm chart in deploy/helm pick the binary to run.

FROM golang:1.26-bookworm AS build
WORKDIR /src
# .dockerignore keeps local data (.dray), keys, seeds and bin/ out of the context.
COPY . .
RUN --mount=type=cache,target=/root/.cache/go-build --mount=type=cache,target=/go/pkg/mod \
    CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/ ./cmd/dray ./services/*/cmd/*
# The executors' cache directory, owned by the nonroot user so that a volume mounted there
# starts writable (docker-compose.yaml).
RUN mkdir -p /rootfs/var/cache/dray

# The container executor: runc runs CustomPromotionSteps, and runc must run as root (it makes
# namespaces, mounts /proc, pivots the root and writes cgroups; pkg/container). The steps run
# without capabilities inside; the Helm chart gives this container exactly what runc needs.
FROM debian:bookworm-slim AS executor-container
RUN apt-get update \
    && apt-get install -y --no-install-recommends runc ca-certificates \
    && rm -rf /var/lib/apt/lists/*
COPY --from=build /out/dray-executor-container /out/dray /usr/local/bin/
USER 0:0
ENTRYPOINT ["dray-executor-container"]

# Every other service and the CLI: static binaries on a distroless base (CA certificates,
# tzdata, no shell), as the nonroot user. The default target, so it comes last.
FROM gcr.io/distroless/static-debian12:nonroot AS dray
COPY --from=build /out/ /usr/local/bin/
COPY --from=build --chown=65532:65532 /rootfs/ /
USER 65532:65532
ENTRYPOINT ["dray"]
