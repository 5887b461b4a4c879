# One image with the dray CLI and every service binary; docker-compose.yaml and the Helm chart
# in deploy/ pick the binary to run.
FROM golang:1.26 AS build
WORKDIR /src
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -o /out/ ./cmd/dray ./services/*/cmd/*

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates git && rm -rf /var/lib/apt/lists/*
COPY --from=build /out/ /usr/local/bin/
USER 65532:65532
ENTRYPOINT ["dray"]
