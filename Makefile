# bridge: the developer's entry points. `make run` starts the bridge with the
# embedded JetStream and the example mappings; `make test` runs the tests.

GO      ?= go
BIN     ?= bin/bridge
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X github.com/bridge-dev/bridge/internal/buildinfo.Version=$(VERSION)

# Development-only signing secrets for the example mappings, so that `make run`
# works on a fresh machine. Real deployments set their own in the environment.
STRIPE_WEBHOOK_SECRET ?= whsec_dev_only_not_a_real_secret
GITHUB_WEBHOOK_SECRET ?= dev-only-not-a-real-secret
MERCADOPAGO_WEBHOOK_SECRET ?= dev-only-not-a-real-secret
SLACK_WEBHOOK_SECRET ?= dev-only-not-a-real-secret
SHOPIFY_WEBHOOK_SECRET ?= dev-only-not-a-real-secret
export STRIPE_WEBHOOK_SECRET GITHUB_WEBHOOK_SECRET MERCADOPAGO_WEBHOOK_SECRET SLACK_WEBHOOK_SECRET SHOPIFY_WEBHOOK_SECRET

.PHONY: all build run test test-short mappings fuzz mutate bench bench-once load lint fmt vet tools post-example image clean cluster

all: build

build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/bridge

## run: the bridge with an embedded JetStream (./data) and ./mappings, on
## loopback only: its events endpoint is open (--events-auth none, written
## out: guardia.yaml accepts events, and bridge run refuses an endpoint open
## by default) and pix.yaml takes unsigned webhooks: fine for trying it, not
## for a network
run:
	$(GO) run ./cmd/bridge run --log-format text --http 127.0.0.1:8080 --events-auth none

## test: the whole suite, with the race detector
test:
	$(GO) test -race -count=1 -timeout 15m ./...

## mappings: lint every mapping (as the daemon loads them) and run their fixtures
mappings:
	$(GO) run ./cmd/bridge check
	$(GO) run ./cmd/bridge test

test-short:
	$(GO) test -count=1 ./...

## fuzz: every fuzz target of every package for FUZZTIME each (the seed
## corpora run in `make test`); fails on the first target that fails
FUZZTIME ?= 10s
fuzz:
	@set -e; for f in $$(grep -l '^func Fuzz' $$(git ls-files '*_test.go')); do \
	  pkg=./$$(dirname $$f); \
	  for t in $$(sed -n 's/^func \(Fuzz[A-Za-z0-9_]*\)(.*/\1/p' $$f); do \
	    echo "fuzz $$pkg $$t"; \
	    $(GO) test -run '^$$' -fuzz "^$$t\$$" -fuzztime $(FUZZTIME) $$pkg; \
	  done; \
	done

## mutate: mutation testing (gremlins) of the core packages, each against its
## own tests; the score and the surviving mutants are in docs/testing.md
GREMLINS       ?= github.com/go-gremlins/gremlins/cmd/gremlins@v0.6.0
MUTATE_PKGS    ?= ./internal/signature ./internal/transform ./internal/jsonx ./internal/fixture ./internal/yamlcheck ./internal/pipeline ./internal/idem ./internal/publish ./internal/ingest
MUTATE_WORKERS ?= 1
mutate:
	@mkdir -p bin/mutate
	@for p in $(MUTATE_PKGS); do \
	  echo "mutate $$p"; \
	  GOFLAGS=-count=1 $(GO) run $(GREMLINS) unleash --workers $(MUTATE_WORKERS) --timeout-coefficient 10 \
	    --output bin/mutate/$$(basename $$p).json $$p | grep -E 'LIVED|TIMED OUT|Killed:|Timed out:|efficacy|coverage'; \
	done

## bench: the hot path's Go benchmarks
bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

## bench-once: every benchmark once, to keep them compiling and correct (CI)
bench-once:
	$(GO) test -run '^$$' -bench . -benchtime=1x ./...

## load: the load harness (docs/performance.md): 64 connections for 20 s against the raw JetStream ceiling and the thin forwarder, every server syncing always
load:
	$(GO) run ./cmd/bridge-bench --concurrency 64 --duration 20s --warmup 3s --ceiling --thin --sync-always

fmt:
	gofmt -w $$(git ls-files '*.go')

vet:
	$(GO) vet ./...

## lint: formatting and vet, as CI checks them
lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) mod tidy -diff

## bin/helm: the Helm CLI, for examples/deploy_helm_test.go (helm lint and
## helm template of deploy/helm/bridge); built from the Go module proxy, not
## a dependency of go.mod
HELM_VERSION ?= v4.3.2
bin/helm:
	GOBIN=$(CURDIR)/bin CGO_ENABLED=0 $(GO) install helm.sh/helm/v4/cmd/helm@$(HELM_VERSION)

## tools: the nats CLI, to look at the stored events
tools:
	$(GO) install github.com/nats-io/natscli/nats@v0.5.0

## post-example: sign and post the example Stripe charge to a running `make run`
post-example:
	@sh examples/post-stripe.sh examples/stripe/charge.succeeded.json

image:
	docker build -t bridge:$(VERSION) --build-arg VERSION=$(VERSION) --build-arg REVISION=$$(git rev-parse HEAD 2>/dev/null || echo unknown) .

clean:
	rm -rf bin

## cluster: three nats-server nodes (go install'ed into ./bin), two bridges with
## --replicas 3 and a round-robin front on :8080, in the foreground; Ctrl-C
## stops them. See examples/cluster/README.md.
.PHONY: cluster
cluster:
	GO=$(GO) bash examples/cluster/run.sh
