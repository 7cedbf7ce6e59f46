#!/usr/bin/env bash
# Everything `make test` checks: formatting, clippy, then the whole test suite.
# Run scripts/setup.sh first (make does).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

if ! command -v cargo >/dev/null 2>&1 && [ -x "$HOME/.cargo/bin/cargo" ]; then
	export PATH="$HOME/.cargo/bin:$PATH"
fi
# Tests find Terraform 1.0.3 here (plus any newer `terraform` on PATH).
export PATH="$PWD/.tools/bin:$PATH"
export ACILAB_TOOLS_DIR="$PWD/.tools"
export CHECKPOINT_DISABLE=1

start=$SECONDS
step=""
finish() {
	local rc=$?
	local took=$((SECONDS - start))
	if [ "$rc" -eq 0 ]; then
		printf '\ntest: OK: fmt, checkov, workflow checks, clippy, tests and end-to-end passed (%ss)\n' "$took"
	else
		printf '\ntest: FAILED in step "%s" (exit %s, %ss)\n' "$step" "$rc" "$took" >&2
	fi
}
trap finish EXIT

run() {
	step=$1
	shift
	printf '\n==> %s\n' "$step"
	"$@"
}

run "cargo fmt --check" cargo fmt --all -- --check
for dir in terraform examples; do
	run "terraform fmt -check $dir" .tools/bin/terraform-1.0.3 fmt -check -recursive "$dir"
done
# Zero failed checks; every skip is a `#checkov:skip=...:reason` next to its resource.
run "checkov" .tools/bin/checkov --quiet --compact --skip-download --framework terraform \
	-d terraform -d examples
# actionlint, ShellCheck of run: scripts, reusable-workflow calls, zizmor --offline (pedantic),
# checkov github_actions: zero findings.
run "workflow checks" scripts/workflow-tools.sh check
run "cargo clippy" cargo clippy --workspace --all-targets --locked -- -D warnings
if cargo nextest --version >/dev/null 2>&1; then
	run "cargo nextest run" cargo nextest run --workspace --locked --no-fail-fast
else
	echo "test: cargo-nextest not found; falling back to cargo test" >&2
	run "cargo test" cargo test --workspace --locked --no-fail-fast
fi
# The whole sample on one machine, headless: make demo's path end to end (scripts/lab/e2e.sh).
run "end-to-end: make demo headless" scripts/lab/e2e.sh
