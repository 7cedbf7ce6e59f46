# Quick start: `make demo` (local emulator demo) and `make test` (everything).
# Both run the idempotent setup step first (scripts/setup.sh).
.PHONY: setup test demo demo-down fmt lint

setup:
	@scripts/setup.sh

test: setup
	@scripts/test.sh

demo: setup
	@scripts/demo.sh

demo-down:
	@scripts/demo.sh down

fmt:
	cargo fmt --all

lint:
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets --locked -- -D warnings
