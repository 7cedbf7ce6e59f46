#!/usr/bin/env bash
# Benchmark of acilab-agent (release build) against the local emulator, next to the original
# sample's init container, the Azure CLI, measured in the same run:
#  1. agent as a sidecar (user-assigned managed identity through the App Service style endpoint):
#     process start → A record answered by the emulator's DNS server; peak RSS in steady state;
#     SIGTERM → record withdrawn and process gone;
#  2. agent --once with a client secret (init-container style): start → exit with the record written;
#  3. peer: the Azure CLI from PyPI (pinned, in .tools/bench-venv) running the original init
#     container's four commands against the emulator registered as a custom cloud, each run from
#     a fresh config dir: az login --service-principal, az container show (the IP),
#     az network private-dns record-set a delete, … a add-record;
#  4. size on disk: the stripped agent binary next to the CLI's installed virtualenv.
# Usage: bench/agent.sh [runs]   (needs `make setup`; the first run pip-installs the CLI, ~3 min)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD
RUNS=${1:-10}
AZ_CLI_VERSION=2.91.0
VENV=$ROOT/.tools/bench-venv

cargo build --release --locked -p azure-emulator -p acilab-agent --bin azure-emulator --bin acilab-agent >&2
BIN=$ROOT/target/release

# --- the Azure CLI peer, installed once (idempotent) -----------------------------------------
if [ "$("$VENV/bin/python" -c 'import importlib.metadata as m; print(m.version("azure-cli"))' 2>/dev/null)" != "$AZ_CLI_VERSION" ]; then
	echo "installing azure-cli==$AZ_CLI_VERSION into $VENV (once)" >&2
	python3 -m venv "$VENV"
	"$VENV/bin/pip" install --quiet --disable-pip-version-check "azure-cli==$AZ_CLI_VERSION" >&2
fi
# The emulator's hosts sit under .localhost; RFC 6761 §6.3 lets clients resolve those to
# loopback (curl and acilab's own clients do), glibc does not: teach the venv's Python the same.
SITE=$("$VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
cat >"$SITE/acilab_localhost.py" <<'PY'
"""acilab bench: names under .localhost resolve to loopback (RFC 6761 section 6.3)."""
import socket

_getaddrinfo = socket.getaddrinfo


def _getaddrinfo_localhost(host, *args, **kwargs):
    name = host.decode() if isinstance(host, bytes) else host
    if isinstance(name, str) and name.lower().rstrip(".").endswith(".localhost"):
        host = "127.0.0.1"
    return _getaddrinfo(host, *args, **kwargs)


socket.getaddrinfo = _getaddrinfo_localhost
PY
echo "import acilab_localhost" >"$SITE/acilab_localhost.pth"

# GNU time measures the peak RSS of short-lived processes (Debian package `time`).
if [ ! -x /usr/bin/time ]; then
	echo "installing Debian's time" >&2
	if [ "$(id -u)" -eq 0 ]; then as_root=(); else as_root=(sudo); fi
	"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
	"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends time >&2
fi

WORK=$(mktemp -d)
EMU=
cleanup() {
	[ -z "$EMU" ] || kill "$EMU" 2>/dev/null || true
	[ -z "$EMU" ] || wait "$EMU" 2>/dev/null || true
	rm -rf "$WORK"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# --- emulator ----------------------------------------------------------------------------------
HTTPS=$(free_port) HTTP=$(free_port) DNS=$(free_port)
# `az login --skip-subscription-discovery` gives a tenant-level account whose subscription id is
# the tenant id (the emulator serves no subscriptions API): the resources live under it.
TENANT=00000000-0000-0000-0000-0000000000aa
SUB=$TENANT
RG=/subscriptions/$SUB/resourceGroups/bench
ZONE_ID=$RG/providers/Microsoft.Network/privateDnsZones/acilab.internal
GROUP_ID=$RG/providers/Microsoft.ContainerInstance/containerGroups/app-0
MI_CLIENT=31111111-1111-1111-1111-111111111111 MI_OID=41111111-1111-1111-1111-111111111111
APP_ID=51111111-1111-1111-1111-111111111111 APP_SECRET=init-container-secret APP_OID=61111111-1111-1111-1111-111111111111
cat >"$WORK/seed.json" <<JSON
{"principals": [{"client_id": "$APP_ID", "client_secret": "$APP_SECRET", "object_id": "$APP_OID"}],
 "managed_identities": [{"client_id": "$MI_CLIENT", "principal_id": "$MI_OID",
                         "resource_id": "$RG/providers/Microsoft.ManagedIdentity/userAssignedIdentities/agent"}],
 "role_assignments": [{"principal_id": "$MI_OID", "role": "Private DNS Zone Contributor", "scope": "$ZONE_ID"},
                      {"principal_id": "$MI_OID", "role": "Reader", "scope": "$RG"},
                      {"principal_id": "$APP_OID", "role": "Private DNS Zone Contributor", "scope": "$ZONE_ID"},
                      {"principal_id": "$APP_OID", "role": "Reader", "scope": "$RG"}],
 "private_dns_zones": [{"id": "$ZONE_ID"}],
 "container_groups": [{"id": "$GROUP_ID", "ip": "10.0.1.4"}]}
JSON
"$BIN/azure-emulator" --tenant-id "$TENANT" --https-addr "127.0.0.1:$HTTPS" --http-addr "127.0.0.1:$HTTP" \
	--dns-addr "127.0.0.1:$DNS" --ca-file "$WORK/ca.pem" --seed "$WORK/seed.json" 2>/dev/null &
EMU=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$HTTP/admin/health" >/dev/null && break; sleep 0.1; done
HEALTH=$(curl -sf "http://127.0.0.1:$HTTP/admin/health")
LOGIN=$(jq -r .login_url <<<"$HEALTH") ARM=$(jq -r .management_url <<<"$HEALTH")
AUDIENCE=$(jq -r .management_scope <<<"$HEALTH") AUDIENCE=${AUDIENCE%.default}

# Deletes the record (between runs, so that every run starts without it).
reset_record() {
	local token
	token=$(curl -sf "http://127.0.0.1:$HTTP/admin/token" -d "{\"audience\": \"$AUDIENCE\", \"object_id\": \"$APP_OID\"}" | jq -r .access_token)
	curl -sf -o /dev/null --cacert "$WORK/ca.pem" -X DELETE -H "Authorization: Bearer $token" \
		"$ARM$ZONE_ID/A/app?api-version=2024-06-01"
}

# --- measuring helper: starts processes, polls the emulator's DNS server over UDP (sub-ms, where
# one `dig` costs ~30 ms), reads VmHWM from /proc/<pid>/status or GNU time's %M ---------------
cat >"$WORK/measure.py" <<'PY'
import json, os, signal, socket, struct, subprocess, sys, tempfile, time

DNS_PORT = int(os.environ["BENCH_DNS_PORT"])
NAME = os.environ["BENCH_RECORD_FQDN"]


def a_record_exists():
    qid = os.getpid() & 0xFFFF
    q = struct.pack(">HHHHHH", qid, 0x0100, 1, 0, 0, 0)
    q += b"".join(bytes([len(p)]) + p.encode() for p in NAME.split(".")) + b"\0"
    q += struct.pack(">HH", 1, 1)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(0.5)
    try:
        s.sendto(q, ("127.0.0.1", DNS_PORT))
        r = s.recv(4096)
    except socket.timeout:
        return False
    finally:
        s.close()
    _, flags, _, ancount = struct.unpack(">HHHH", r[:8])
    return flags & 0xF == 0 and ancount > 0


def wait_for(pred, limit):
    end = time.perf_counter() + limit
    while not pred():
        if time.perf_counter() > end:
            raise SystemExit("timed out")
        time.sleep(0.001)


def vm_hwm_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def run(cmd, env, stdout=False):
    """Runs cmd to completion: (ms, peak RSS in KiB, stdout); exits if it fails."""
    # Peak RSS through GNU time, not this process's wait4: a child spawned from Python inherits
    # Python's RSS as the floor of its ru_maxrss (exec folds the old address space's high-water
    # mark in); GNU time's own floor (~2 MiB) is below every process measured here.
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err, \
            tempfile.NamedTemporaryFile("r") as rss:
        t0 = time.perf_counter()
        code = subprocess.call(["/usr/bin/time", "-q", "-f", "%M", "-o", rss.name] + cmd, env=env,
                               stdout=out if stdout else subprocess.DEVNULL, stderr=err)
        ms = (time.perf_counter() - t0) * 1000
        out.seek(0)
        err.seek(0)
        if code != 0:
            sys.stderr.write(err.read().decode(errors="replace"))
            raise SystemExit(f"{' '.join(cmd[:4])} … exited {code}")
        return ms, int(rss.read().split()[-1]), out.read().decode().strip()


def agent_service(cmd, env):
    """Sidecar: start → record answered; steady-state VmHWM; SIGTERM → withdrawn and exited."""
    assert not a_record_exists(), "record exists before the run"
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(a_record_exists, 30)
        ms = (time.perf_counter() - t0) * 1000
        time.sleep(1.0)  # steady state (the next round is an hour away)
        hwm = vm_hwm_kb(p.pid)
        t1 = time.perf_counter()
        p.send_signal(signal.SIGTERM)
        code = p.wait(15)
        stop_ms = (time.perf_counter() - t1) * 1000
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    assert code == 0, f"agent exited {code}"
    assert not a_record_exists(), "record not withdrawn on SIGTERM"
    return {"ms": ms, "rss_kb": hwm, "stop_ms": stop_ms}


def agent_once(cmd, env):
    assert not a_record_exists(), "record exists before the run"
    ms, rss, _ = run(cmd, env)
    assert a_record_exists(), "--once exited without the record"
    return {"ms": ms, "rss_kb": rss}


def cli(py, env, args):
    """The init container's four commands, each a fresh `python -m azure.cli` process."""
    assert not a_record_exists(), "record exists before the run"
    az = [py, "-m", "azure.cli"]
    steps = {}
    t0 = time.perf_counter()
    steps["login"] = run(az + ["login", "--service-principal", "-u", args["app_id"], "-p", args["secret"],
                               "--tenant", args["tenant"], "--skip-subscription-discovery", "-o", "none"], env)
    steps["show"] = run(az + ["container", "show", "-g", "bench", "-n", "app-0",
                              "--query", "ipAddress.ip", "-o", "tsv"], env, stdout=True)
    ip = steps["show"][2]
    assert ip == "10.0.1.4", f"container show gave {ip!r}"
    steps["delete"] = run(az + ["network", "private-dns", "record-set", "a", "delete", "-g", "bench",
                                "-z", "acilab.internal", "-n", "app", "--yes"], env)
    steps["add"] = run(az + ["network", "private-dns", "record-set", "a", "add-record", "-g", "bench",
                             "-z", "acilab.internal", "-n", "app", "-a", ip, "-o", "none"], env)
    ms = (time.perf_counter() - t0) * 1000
    assert a_record_exists(), "CLI finished without the record"
    return {"ms": ms, "rss_kb": max(s[1] for s in steps.values()),
            **{f"{k}_ms": v[0] for k, v in steps.items()}, **{f"{k}_rss_kb": v[1] for k, v in steps.items()}}


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # run the `finally`s: no agent left behind
    mode, args = sys.argv[1], json.loads(sys.argv[2])
    env = args["env"]
    if mode == "agent-service":
        res = agent_service(args["cmd"], env)
    elif mode == "agent-once":
        res = agent_once(args["cmd"], env)
    else:
        res = cli(args["python"], env, args)
    print(json.dumps(res))
PY
export BENCH_DNS_PORT=$DNS BENCH_RECORD_FQDN=app.acilab.internal
measure() { python3 "$WORK/measure.py" "$@"; }

common_env=$(jq -n --arg login "$LOGIN" --arg arm "$ARM" --arg aud "$AUDIENCE" --arg ca "$WORK/ca.pem" \
	--arg group "$GROUP_ID" --arg zone "$ZONE_ID" '{
	AZURE_AUTHORITY_HOST: $login, ACILAB_RESOURCE_MANAGER_ENDPOINT: $arm, ACILAB_RESOURCE_MANAGER_AUDIENCE: $aud,
	ACILAB_CA_BUNDLE_FILE: $ca, ACILAB_CONTAINER_GROUP_ID: $group, ACILAB_DNS_ZONE_ID: $zone,
	ACILAB_DNS_RECORD_NAME: "app", ACILAB_HEALTH_ADDR: "off", ACILAB_INTERVAL_SECONDS: "3600"}')
service_args=$(jq -n --argjson env "$common_env" --arg bin "$BIN/acilab-agent" \
	--arg ep "http://127.0.0.1:$HTTP/msi/token" --arg hdr "$(jq -r .identity_header <<<"$HEALTH")" --arg mi "$MI_CLIENT" \
	'{cmd: [$bin], env: ($env + {IDENTITY_ENDPOINT: $ep, IDENTITY_HEADER: $hdr, AZURE_CLIENT_ID: $mi})}')
once_args=$(jq -n --argjson env "$common_env" --arg bin "$BIN/acilab-agent" --arg id "$APP_ID" --arg t "$TENANT" --arg s "$APP_SECRET" \
	'{cmd: [$bin, "--once"], env: ($env + {AZURE_CLIENT_ID: $id, AZURE_TENANT_ID: $t, AZURE_CLIENT_SECRET: $s})}')

# --- the CLI's config: the emulator as a custom cloud, made once; each run starts from a fresh
# copy (no login, no token or discovery cache: a new init container) -------------------------
AZT=$WORK/az-template
az_env() {
	jq -n --arg dir "$1" --arg ca "$WORK/ca.pem" --arg path "$PATH" \
		'{AZURE_CONFIG_DIR: $dir, REQUESTS_CA_BUNDLE: $ca, AZ_INSTALLER: "PIP", PATH: $path, HOME: $dir}'
}
az_setup() {
	AZURE_CONFIG_DIR=$AZT REQUESTS_CA_BUNDLE=$WORK/ca.pem AZ_INSTALLER=PIP HOME=$AZT \
		"$VENV/bin/python" -m azure.cli "$@" >/dev/null 2>"$WORK/az-setup.log" || { cat "$WORK/az-setup.log" >&2; return 1; }
}
mkdir -p "$AZT"
az_setup cloud register -n AcilabEmulator --skip-endpoint-discovery --endpoint-resource-manager "$ARM" \
	--endpoint-active-directory "$LOGIN" --endpoint-active-directory-resource-id "$AUDIENCE" \
	--suffix-keyvault-dns ".vault.azure.localhost:$HTTPS"
az_setup cloud set -n AcilabEmulator
# instance_discovery=false: MSAL would otherwise ask login.microsoftonline.com whether the
# emulator's authority is a known one; telemetry off: nothing leaves the machine.
az_setup config set core.instance_discovery=false core.collect_telemetry=false core.survey_message=false
cli_args() {
	jq -n --argjson env "$(az_env "$1")" --arg py "$VENV/bin/python" --arg id "$APP_ID" --arg s "$APP_SECRET" --arg t "$TENANT" \
		'{env: $env, python: $py, app_id: $id, secret: $s, tenant: $t}'
}
cli_run() {
	rm -rf "$WORK/az-run" && cp -a "$AZT" "$WORK/az-run"
	measure cli "$(cli_args "$WORK/az-run")"
}

# --- runs (one untimed warm-up of each, then alternating) -----------------------------------------
measure agent-service "$service_args" >/dev/null
measure agent-once "$once_args" >/dev/null
reset_record
cli_run >/dev/null
reset_record
# Requests the emulator counted (Entra, ARM, managed identity), all operations together.
requests() { curl -sf "http://127.0.0.1:$HTTP/admin/counters" | jq '[.[]] | add // 0'; }
LOAD_START=$(cut -d' ' -f1 /proc/loadavg)
for i in $(seq "$RUNS"); do
	echo "run $i/$RUNS" >&2
	c0=$(requests)
	measure agent-service "$service_args" >>"$WORK/service.jsonl"
	c1=$(requests)
	measure agent-once "$once_args" >>"$WORK/once.jsonl"
	c2=$(requests)
	reset_record
	c3=$(requests)
	cli_run >>"$WORK/cli.jsonl"
	c4=$(requests)
	reset_record
	echo "$((c1 - c0)) $((c2 - c1)) $((c4 - c3))" >"$WORK/requests"
done
read -r REQ_SERVICE REQ_ONCE REQ_CLI <"$WORK/requests"
LOAD_END=$(cut -d' ' -f1 /proc/loadavg)

AGENT_SIZE=$(stat -c %s "$BIN/acilab-agent")
VENV_SIZE=$(du -sb "$VENV" | cut -f1)
python3 - "$WORK" "$RUNS" "$AGENT_SIZE" "$VENV_SIZE" "$AZ_CLI_VERSION" "$REQ_SERVICE" "$REQ_ONCE" "$REQ_CLI" <<'PY'
import json, statistics, sys
work, runs, agent_size, venv_size, version = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
req_service, req_once, req_cli = sys.argv[6:9]
load = lambda n: [json.loads(l) for l in open(f"{work}/{n}.jsonl")]
med = lambda rows, k: statistics.median(r[k] for r in rows)
svc, once, cli = load("service"), load("once"), load("cli")
cli_ms, cli_rss = med(cli, "ms"), max(r["rss_kb"] for r in cli)
mib = lambda b: f"{b / 1048576:.1f} MiB"
print(f"| measure (median of {runs}) | acilab-agent | Azure CLI {version} | ratio agent / CLI |")
print("|---|---|---|---|")
print(f"| start → A record written, init-container style (agent `--once`, client secret; CLI: login, container show, record-set delete, add-record) | {med(once, 'ms'):.0f} ms | {cli_ms:.0f} ms | {med(once, 'ms') / cli_ms:.3f} |")
print(f"| start → A record written, sidecar (agent with managed identity) | {med(svc, 'ms'):.0f} ms | {cli_ms:.0f} ms | {med(svc, 'ms') / cli_ms:.3f} |")
print(f"| peak RSS (agent: sidecar VmHWM after 1 s; CLI: largest of the four processes) | {max(r['rss_kb'] for r in svc) / 1024:.1f} MiB | {cli_rss / 1024:.1f} MiB | {max(r['rss_kb'] for r in svc) / cli_rss:.3f} |")
print(f"| peak RSS, agent `--once` | {max(r['rss_kb'] for r in once) / 1024:.1f} MiB | | |")
print(f"| on disk (agent: stripped release binary; CLI: its virtualenv, Python itself not counted) | {mib(agent_size)} ({agent_size} B) | {mib(venv_size)} | {agent_size / venv_size:.4f} |")
print(f"| requests the emulator served per run (agent `--once`; CLI) | {req_once} | {req_cli} | |")
print(f"| requests per sidecar run, start to withdrawal | {req_service} | | |")
print(f"| sidecar SIGTERM → record withdrawn and exited | {med(svc, 'stop_ms'):.0f} ms | | |")
print()
print(f"| CLI step (median of {runs}) | ms | peak RSS |")
print("|---|---|---|")
for k, label in [("login", "az login --service-principal --skip-subscription-discovery"), ("show", "az container show --query ipAddress.ip"),
                 ("delete", "az network private-dns record-set a delete"), ("add", "az network private-dns record-set a add-record")]:
    print(f"| {label} | {med(cli, k + '_ms'):.0f} | {max(r[k + '_rss_kb'] for r in cli) / 1024:.1f} MiB |")
PY
echo
echo "$(nproc) cores; 1-minute load average at the first run / after the last: $LOAD_START / $LOAD_END"
