# Dray: every target loops over the modules of go.work.
GO       ?= go
MODULES   = $(shell $(GO) list -m -f '{{.Dir}}/...')
BIN      ?= bin

.PHONY: all build run test lint bench chaos schemas tidy assets clean

all: lint test

## build: the dray CLI and one binary per service, in bin/
build:
	$(GO) build -o $(BIN)/ ./cmd/dray ./services/*/cmd/*

## run: every service in one process, with the demo pipeline (http://localhost:8080)
run:
	$(GO) run ./cmd/dray up --demo

## test: vet and every test, with the race detector (installs git, runc and busybox-static with apt when missing)
test:
	@.ci/deps
	$(GO) vet $(MODULES)
	$(GO) test -race -count=1 -timeout 15m $(MODULES)
	cd deploy/promql && GOWORK=off $(GO) test -count=1 ./...

## lint: gofmt, vet, and the schemas are current
lint:
	@out=$$(gofmt -l $$($(GO) list -m -f '{{.Dir}}') deploy/promql); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet $(MODULES)
	cd deploy/promql && GOWORK=off $(GO) vet ./...

## bench: Go benchmarks, then the load driver (figures also in $$BENCH_OUT when set)
bench:
	$(GO) test -run '^$$' -bench . -benchtime 200x $(MODULES)
	$(GO) run ./test/bench

## chaos: the kill -9 harness, 200 promotions each with dray up, split services and a 3-node NATS cluster disrupted 20 times (a short run is in make test)
chaos:
	$(GO) run ./test/chaos -promotions 200 -stages 4 -kills 20

## schemas: regenerate schemas/*.json from pkg/api/v1
schemas:
	cd schemas && $(GO) run ./cmd/schemagen

## tidy: go mod tidy in every module
tidy:
	for d in $$($(GO) list -m -f '{{.Dir}}'); do (cd $$d && GOWORK=off GOFLAGS=-mod=mod $(GO) mod tidy) || exit 1; done

## assets: fetch the UI's vendored htmx again (npm pack, the npm client only downloads) and check it against static/SHA256SUMS
HTMX_VERSION = 2.0.4
UI_STATIC    = services/gateway/ui/static
assets:
	@command -v npm >/dev/null || { echo "make assets needs npm (only to download the package; building and testing need no Node)"; exit 1; }
	tmp=$$(mktemp -d) && trap 'rm -rf $$tmp' EXIT && \
	(cd $$tmp && npm pack --silent htmx.org@$(HTMX_VERSION) >/dev/null && tar xzf htmx.org-$(HTMX_VERSION).tgz) && \
	cp $$tmp/package/dist/htmx.min.js $(UI_STATIC)/htmx-$(HTMX_VERSION).min.js && \
	cp $$tmp/package/LICENSE $(UI_STATIC)/htmx.LICENSE
	cd $(UI_STATIC) && sha256sum -c SHA256SUMS

clean:
	rm -rf $(BIN) .dray
