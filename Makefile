# Spool: `make run` starts it, `make test` checks everything on a fresh machine.
SHELL := /bin/bash
CARGO ?= cargo
export PATH := $(HOME)/.cargo/bin:$(PATH)

.PHONY: run test fmt lint bench bench-http bench-whatsapp bench-import api-fuzz bench-idle bench-publish bench-editor schema build check-toolchain services web web-check web-e2e check-node

# The editor (web/): `npm ci` again only when the lockfile changed (the stamp lives in
# node_modules, so deleting that reinstalls too); `npm run build` again only when a source
# changed. The spool binary embeds web/dist, so it is built after the editor.
WEB_SOURCES := $(shell find web/src -type f 2>/dev/null) web/index.html web/vite.config.ts \
	web/tsconfig.json web/package.json $(wildcard flows/examples/*.json)
WEB_INSTALLED := web/node_modules/.stamp-npm-ci
WEB_BUILT := web/dist/index.html
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD := 1

## run: start Spool (API, webhooks, simulator, workers) on a SQLite file and the embedded store
## (channel secrets are encrypted with SPOOL_SECRET_KEY, else a key kept in .spool/secret-key)
run: build
	@mkdir -p .spool && [ -s .spool/secret-key ] || (umask 077 && od -An -tx1 -N32 /dev/urandom | tr -d ' \n' > .spool/secret-key)
	SPOOL_SECRET_KEY="$${SPOOL_SECRET_KEY:-$$(cat .spool/secret-key)}" ./target/debug/spool serve

## test: formatting, lints, generated-file drift and every test
test: check-toolchain services web-check web
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings
	# No separate `cargo build`: `cargo test` builds the spool binary the end-to-end tests run
	# (builder-api has integration tests), and a build without the tests' features would
	# compile much of the tree a second time.
	$(CARGO) test --workspace --no-fail-fast
	$(MAKE) web-e2e

## web: build the editor into web/dist when its sources changed
web: $(WEB_BUILT)

$(WEB_INSTALLED): web/package-lock.json | check-node
	cd web && npm ci --no-audit --no-fund
	touch $@

$(WEB_BUILT): $(WEB_INSTALLED) $(WEB_SOURCES)
	cd web && npm run build

## web-check: the editor's lint, formatting, types, unit tests, and generated API types' drift
web-check: $(WEB_INSTALLED)
	cd web && npm run -s lint && npm run -s format:check && npm run -s typecheck && npm run -s test
	@fresh=$$(mktemp --suffix=.d.ts) && (cd web && npx openapi-typescript ../docs/openapi.json --empty-objects-unknown -o $$fresh >/dev/null 2>&1) \
		&& cmp -s $$fresh web/src/api/schema.d.ts; stale=$$?; rm -f $$fresh; \
		if [ $$stale -ne 0 ]; then echo "web/src/api/schema.d.ts is stale: run \`make schema\` and commit the result" >&2; exit 1; fi

## web-e2e: the editor in Debian's Chromium against target/debug/spool (installs chromium through apt if missing)
web-e2e: $(WEB_INSTALLED) /usr/bin/chromium
	cd web && npm run -s e2e

/usr/bin/chromium:
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium

check-node:
	@command -v npm >/dev/null || { echo "npm not found: install Node.js 20 (the editor in web/ is built with it)" >&2; exit 1; }

## build: the spool binary (with the editor embedded)
build: check-toolchain web
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

## bench-import: a CSV of 100,000 contacts uploaded, dry-run and imported over HTTP (RELEASE=1, REDIS_URL=…; minutes)
bench-import: check-toolchain
	./scripts/bench-import.sh

## api-fuzz: schemathesis against a fresh `spool serve` with the example flows (about a minute; not part of `make test`)
api-fuzz: check-toolchain
	./scripts/api-fuzz.sh

## bench-idle: an idle `spool serve`'s CPU and Redis commands/s (RELEASE=1 for a release build)
bench-idle: check-toolchain
	./scripts/bench-idle.sh

## bench-publish: publish latency and sync cost with 1,000 published versions (RELEASE=1 likewise)
bench-publish: check-toolchain
	./scripts/bench-publish.sh

## bench-editor: the editor with 300- and 1,000-step flows in Chromium: open, pan, zoom, drag (3 runs; minutes;
## needs target/debug/spool built with the editor, e.g. by `make build`; serves the current web/dist)
bench-editor: $(WEB_INSTALLED) /usr/bin/chromium
	cd web && node bench/canvas.mjs --runs 3

## schema: regenerate docs/flow.schema.json and docs/openapi.json from the Rust types, and the editor's API types
schema: $(WEB_INSTALLED)
	SPOOL_UPDATE_GENERATED=1 $(CARGO) test -p spool-flows --test schema
	SPOOL_UPDATE_GENERATED=1 $(CARGO) test -p spool-builder-api --test openapi
	cd web && npm run -s api-types

## services: make sure Redis and PostgreSQL answer for the tests (starts or installs them)
services:
	@./scripts/services.sh

check-toolchain:
	@command -v $(CARGO) >/dev/null || { echo "cargo not found: install Rust with rustup" >&2; exit 1; }
	@$(CARGO) fmt --version >/dev/null 2>&1 || rustup component add rustfmt
	@$(CARGO) clippy --version >/dev/null 2>&1 || rustup component add clippy
