# Spool: `make run` starts it, `make test` checks everything on a fresh machine.
SHELL := /bin/bash
CARGO ?= cargo
export PATH := $(HOME)/.cargo/bin:$(PATH)

.PHONY: run test fmt lint bench bench-http bench-whatsapp api-fuzz bench-idle bench-publish schema build check-toolchain services

## run: start Spool (API, webhooks, simulator, workers) on a SQLite file and the embedded store
## (channel secrets are encrypted with SPOOL_SECRET_KEY, else a key kept in .spool/secret-key)
run: build
	@mkdir -p .spool && [ -s .spool/secret-key ] || (umask 077 && od -An -tx1 -N32 /dev/urandom | tr -d ' \n' > .spool/secret-key)
	SPOOL_SECRET_KEY="$${SPOOL_SECRET_KEY:-$$(cat .spool/secret-key)}" ./target/debug/spool serve

## test: formatting, lints, generated-file drift and every test
test: check-toolchain services
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings
	# No separate `cargo build`: `cargo test` builds the spool binary the end-to-end tests run
	# (builder-api has integration tests), and a build without the tests' features would
	# compile much of the tree a second time.
	$(CARGO) test --workspace --no-fail-fast

## build: the spool binary
build: check-toolchain
	$(CARGO) build -p spool-builder-api --bin spool

## fmt: format the code
fmt:
	$(CARGO) fmt --all

## lint: clippy with warnings as errors
lint:
	$(CARGO) clippy --workspace --all-targets -- -D warnings

## bench: criterion benchmarks (minutes; not part of `make test`)
bench:
	$(CARGO) bench -p spool-flows --bench validate

## bench-http: Spool's webhook journey against Node-RED over HTTP with wrk (release build; minutes)
bench-http: check-toolchain
	./scripts/bench-webhooks.sh

## bench-whatsapp: Meta webhooks in, answers out through a fake Cloud API, with wrk (release build; minutes)
bench-whatsapp: check-toolchain
	./scripts/bench-whatsapp.sh

## api-fuzz: schemathesis against a fresh `spool serve` with the example flows (about a minute; not part of `make test`)
api-fuzz: check-toolchain
	./scripts/api-fuzz.sh

## bench-idle: an idle `spool serve`'s CPU and Redis commands/s (RELEASE=1 for a release build)
bench-idle: check-toolchain
	./scripts/bench-idle.sh

## bench-publish: publish latency and sync cost with 1,000 published versions (RELEASE=1 likewise)
bench-publish: check-toolchain
	./scripts/bench-publish.sh

## schema: regenerate docs/flow.schema.json and docs/openapi.json from the Rust types
schema:
	SPOOL_UPDATE_GENERATED=1 $(CARGO) test -p spool-flows --test schema
	SPOOL_UPDATE_GENERATED=1 $(CARGO) test -p spool-builder-api --test openapi

## services: make sure Redis and PostgreSQL answer for the tests (starts or installs them)
services:
	@./scripts/services.sh

check-toolchain:
	@command -v $(CARGO) >/dev/null || { echo "cargo not found: install Rust with rustup" >&2; exit 1; }
	@$(CARGO) fmt --version >/dev/null 2>&1 || rustup component add rustfmt
	@$(CARGO) clippy --version >/dev/null 2>&1 || rustup component add clippy
