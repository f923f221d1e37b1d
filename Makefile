# bootyard: `make` lists the targets. Every target is a thin wrapper: the real
# work lives in scripts/, so CI (.ci/run) and people run the same thing.

SHELL    := /bin/bash
GO       ?= go
FUZZTIME ?= 20s
BENCHTIME ?= 1s
VERSION  := $(shell git describe --always --dirty 2>/dev/null || echo dev)
LDFLAGS  := -X main.version=$(VERSION)

# Lab and e2e tests skip when root or a tool is missing; BOOTYARD_E2E=1 (CI)
# makes that a failure instead. It reaches the tests from the environment or
# the command line (make test BOOTYARD_E2E=1) as it is.

.DEFAULT_GOAL := help
.PHONY: help build test demo bench fuzz lint clean

help: ## list the targets
	@echo "bootyard $(VERSION): make TARGET"
	@grep -E '^[a-z]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/^([a-z]+):.*## /  \1\t/' | expand -t 10

build: ## build bin/bootyard with its version stamped in
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o bin/bootyard ./cmd/bootyard
	@echo "built bin/bootyard $(VERSION)"

test: ## install test packages (as root), go vet, all tests with -race, then e2e (BOOTYARD_E2E=1 to forbid skips)
	@if [ "$$(id -u)" -eq 0 ]; then scripts/install-deps.sh; \
	else echo "not root: lab and e2e tests need root and the packages in scripts/deps/*.txt; they will skip"; fi
	@GO='$(GO)' scripts/test.sh

demo: ## boot a qemu machine from bootyard, end to end
	@if [ -f scripts/demo.sh ]; then bash scripts/demo.sh; \
	else echo "no demo yet: scripts/demo.sh comes with the real-boot work"; exit 1; fi

bench: ## Go benchmarks (BENCHTIME, default 1s), then every bench/*/run.sh
	$(GO) test -run '^$$' -bench . -benchmem -benchtime $(BENCHTIME) ./...
	@shopt -s nullglob; rc=0; \
	for s in bench/*/run.sh; do echo "== $$s"; bash "$$s" || { echo "FAIL $$s"; rc=1; }; done; \
	exit $$rc

fuzz: ## run every Fuzz target for FUZZTIME each (default 20s)
	@FUZZTIME='$(FUZZTIME)' GO='$(GO)' scripts/fuzz.sh

lint: ## go vet and staticcheck (both run; either failing fails)
	@rc=0; \
	echo "== go vet ./..."; $(GO) vet ./... || rc=1; \
	echo "== staticcheck ./..."; $(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.0 ./... || rc=1; \
	exit $$rc

clean: ## remove build output and cached test results
	rm -rf bin/
	$(GO) clean -testcache
