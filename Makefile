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
export STRIPE_WEBHOOK_SECRET GITHUB_WEBHOOK_SECRET

.PHONY: all build run test test-short mappings fuzz bench bench-once load lint fmt vet tools post-example image clean cluster

all: build

build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/bridge

## run: the bridge with an embedded JetStream (./data) and ./mappings
run:
	$(GO) run ./cmd/bridge run --log-format text

## test: the whole suite, with the race detector
test:
	$(GO) test -race -count=1 -timeout 15m ./...

## mappings: lint every mapping (as the daemon loads them) and run their fixtures
mappings:
	$(GO) run ./cmd/bridge check
	$(GO) run ./cmd/bridge test

test-short:
	$(GO) test -count=1 ./...

## fuzz: each fuzz target for FUZZTIME (the seed corpora run in `make test`)
FUZZTIME ?= 30s
fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzParse$$' -fuzztime $(FUZZTIME) ./internal/transform
	$(GO) test -run '^$$' -fuzz '^FuzzWebhookBody$$' -fuzztime $(FUZZTIME) ./internal/ingest
	$(GO) test -run '^$$' -fuzz '^FuzzStripeHeader$$' -fuzztime $(FUZZTIME) ./internal/signature
	$(GO) test -run '^$$' -fuzz '^FuzzParseSize$$' -fuzztime $(FUZZTIME) ./internal/config

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

## tools: the nats CLI, to look at the stored events
tools:
	$(GO) install github.com/nats-io/natscli/nats@v0.5.0

## post-example: sign and post the example Stripe charge to a running `make run`
post-example:
	@sh examples/post-stripe.sh examples/stripe/charge.succeeded.json

image:
	docker build -t bridge:$(VERSION) --build-arg VERSION=$(VERSION) .

clean:
	rm -rf bin

## cluster: three nats-server nodes (go install'ed into ./bin), two bridges with
## --replicas 3 and a round-robin front on :8080, in the foreground; Ctrl-C
## stops them. See examples/cluster/README.md.
.PHONY: cluster
cluster:
	GO=$(GO) bash examples/cluster/run.sh
