#!/usr/bin/env bash
# End-to-end test of the whole sample on one machine (issue 9): runs what `make demo` runs,
# headless, then asserts
#   1. the gateway serves the Key Vault certificate with a chain that verifies against pebble's root;
#   2. both app groups answer through the gateway (PostgreSQL sees both groups' addresses);
#   3. after a group restart (new IP in the emulator, Terraform untouched) the record follows
#      within one agent interval, and the gateway reaches the group at its new address;
#   4. the traffic test's rows are in PostgreSQL;
#   5. headless Chromium shows the dashboard with non-empty bars (PNG in target/test-artifacts/demo/);
#   6. everything stops: no process, pid or listener of the demo is left.
# State in target/e2e-demo (not .demo). Uses the demo's fixed loopback ports: it refuses to
# start while `make demo` runs. Takes about a minute with warm builds.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/../.."
export DEMO_DIR=target/e2e-demo DEMO_QUIET=1 DEMO_AGENT_INTERVAL=${DEMO_AGENT_INTERVAL:-3}
# Free loopback ports and a /24 of its own, so it runs next to `make demo` and other checkouts.
read -r DEMO_HTTPS_PORT DEMO_HTTP_PORT DEMO_DNS_PORT DEMO_PEBBLE_PORT DEMO_PEBBLE_MGMT_PORT DEMO_PG_PORT \
	DEMO_GATEWAY_PORT < <(python3 -c '
import socket
socks = []
while sum(x.type == socket.SOCK_STREAM for x in socks) < 7:
    s = socket.socket(); s.bind(("127.0.0.1", 0))
    if len(socks) == 2:  # the DNS port: free for UDP too
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            u.bind(("127.0.0.1", s.getsockname()[1]))
        except OSError:
            continue
        socks.append(u)
    socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks if s.type == socket.SOCK_STREAM))')
export DEMO_HTTPS_PORT DEMO_HTTP_PORT DEMO_DNS_PORT DEMO_PEBBLE_PORT DEMO_PEBBLE_MGMT_PORT DEMO_PG_PORT DEMO_GATEWAY_PORT
export DEMO_NET=${DEMO_NET:-127.$((100 + RANDOM % 100)).$((RANDOM % 250))}
# shellcheck source=scripts/lab/lib.sh
. scripts/lab/lib.sh
ART=target/test-artifacts/demo
mkdir -p "$ART"
STEP=""
pass() { printf 'e2e: ok   %s\n' "$*"; }
fail() {
	printf 'e2e: FAIL %s\n' "$*" >&2
	exit 1
}
cleanup() {
	local rc=$?
	if [ "$rc" != 0 ]; then
		echo "e2e: failed at: $STEP (logs: $DEMO_DIR/logs/)" >&2
		for f in "$DEMO_DIR"/logs/*.log; do
			[ -s "$f" ] && { echo "--- $f"; tail -n 5 "$f"; } >&2
		done
		# Keep the logs as artifacts.
		rm -rf "$ART/logs"
		cp -r "$DEMO_DIR/logs" "$ART/logs" 2>/dev/null || true
	fi
	scripts/demo.sh down >/dev/null 2>&1 || true
	exit "$rc"
}
trap cleanup EXIT
T0=$(date +%s)

STEP="make demo (headless)"
scripts/demo.sh up >"$ART/demo.out" 2>&1 || {
	tail -n 30 "$ART/demo.out" >&2
	fail "scripts/demo.sh up"
}
grep -E '^(first successful|traffic:|app-1:)' "$ART/demo.out" | sed 's/^/e2e:      /'
emulator_env
GW=https://$PUBLIC_ZONE:$GATEWAY_PORT

STEP="1. certificate chain"
out=$(openssl s_client -connect "127.0.0.1:$GATEWAY_PORT" -servername "$PUBLIC_ZONE" \
	-CAfile "$DEMO_DIR/pebble-root.pem" -verify_return_error -showcerts </dev/null 2>&1) ||
	fail "TLS handshake with the gateway: $out"
grep -q 'Verify return code: 0 (ok)' <<<"$out" || fail "chain does not verify against pebble's root"
# The served leaf is the Key Vault certificate's current version (the agent's file).
served=$(openssl x509 -noout -fingerprint -sha1 <<<"$out" | cut -d= -f2 | tr -d :)
kv=$(openssl x509 -noout -fingerprint -sha1 -in "$DEMO_DIR/gateway/certs/tls.crt" | cut -d= -f2 | tr -d :)
[ "$served" = "$kv" ] || fail "gateway serves $served, Key Vault's certificate is $kv"
openssl x509 -noout -ext subjectAltName -in "$DEMO_DIR/gateway/certs/tls.crt" | grep -q "DNS:\*.$PUBLIC_ZONE" ||
	fail "no *.$PUBLIC_ZONE on the certificate"
# pebble's root is the same one the gateway verifies the backends with; a wrong root fails.
if openssl s_client -connect "127.0.0.1:$GATEWAY_PORT" -servername "$PUBLIC_ZONE" -CAfile "$DEMO_DIR/ca.pem" \
	-verify_return_error </dev/null >/dev/null 2>&1; then
	fail "the chain also verifies against an unrelated root"
fi
pass "the gateway's chain verifies against pebble's root (leaf = Key Vault version, SHA-1 $served)"

STEP="2. both app groups through the gateway"
want=$(for g in "${APP_GROUPS[@]}"; do cat "$DEMO_DIR/groups/$g/ip"; done | sort | tr '\n' ' ')
seen=$(for _ in $(seq 20); do gw_curl "$GW/api/sqlsrcip" | jq -r .sql_output; done | sort -u | tr '\n' ' ')
[ "$seen" = "$want" ] || fail "through the gateway: answers from [$seen], groups are [$want]"
gw_curl "$GW/" | grep -q 'Healthcheck' || fail "the web page through the gateway"
pass "both app groups answer through the gateway ($seen), the web page too"

STEP="3. restart: the running agent repairs the record within one interval"
old=$(cat "$DEMO_DIR/groups/app-0/ip")
new=$NET.251
t=$(now_ms)
curl -sSf -X POST -H 'Content-Type: application/json' \
	--data "{\"id\": \"$GROUPS_ID/app-0\", \"ip\": \"$new\"}" "$ADMIN/admin/container-groups/restart" >/dev/null
limit_ms=$((INTERVAL * 1100 + 1500)) # one interval (+10% jitter), one round trip and DNS
until dig_a app | grep -qw "$new" && ! dig_a app | grep -qw "$old"; do
	[ $(($(now_ms) - t)) -lt "$limit_ms" ] || fail "app.$PRIVATE_ZONE is [$(dig_a app)] ${limit_ms} ms after the restart (want $new, not $old)"
	sleep 0.1
done
took=$(($(now_ms) - t))
pass "record follows the restart in $took ms (agent interval ${INTERVAL} s): app.$PRIVATE_ZONE → $(dig_a app)"
# The group's processes move to the new address (a restarted group's containers start anew).
stop_group app-0 >/dev/null
start_app_group app-0 "$new"
wait_for "the gateway to reach app-0 at $new" 30 bash -c \
	"for i in 1 2 3 4; do curl -s --max-time 5 --cacert $DEMO_DIR/pebble-root.pem --resolve $PUBLIC_ZONE:$GATEWAY_PORT:127.0.0.1 $GW/api/sqlsrcip; echo; done | grep -qF '\"$new\"'" ||
	fail "no answer from $new through the gateway"
pass "the gateway reaches app-0 at its new address $new (re-resolved through the emulator's DNS)"
# No resource changes (only the outputs' new addresses, which refresh records).
terraform_plan_clean() {
	"${TF[@]}" plan -input=false -no-color >"$DEMO_DIR/logs/terraform-plan.log" 2>&1 &&
		! grep -q '^Plan:' "$DEMO_DIR/logs/terraform-plan.log"
}
tf_setup
if terraform_plan_clean; then
	pass "terraform plan after both restarts: no changes (the agents already repaired the records)"
else
	fail "terraform plan shows changes after the restarts (see $DEMO_DIR/logs/terraform-plan.log)"
fi

STEP="4. rows in PostgreSQL"
for _ in $(seq 20); do gw_curl -o /dev/null "$GW/api/sqlsrciplog"; done
rows=$(psql_demo "select ip || '=' || count(*) from srciplog group by ip order by ip" | tr '\n' ' ')
total=$(psql_demo "select count(*) from srciplog")
[ "$total" -ge 200 ] || fail "only $total rows in srciplog"
for ip in $want $new; do grep -q "$ip=" <<<"$rows" || fail "no rows from $ip in srciplog: $rows"; done
[ "$(psql_demo "select count(distinct ip) from srciplog")" -ge 3 ] || fail "rows from fewer than 3 addresses: $rows"
pass "$total rows in PostgreSQL's srciplog: $rows"

STEP="5. dashboard in headless Chromium"
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
[ -x "$CHROMIUM" ] || fail "no $CHROMIUM: run make setup"
DASH=http://$(cat "$DEMO_DIR/groups/dashboard/ip"):8050/
chrome() {
	local profile=$DEMO_DIR/chromium-$1
	shift
	rm -rf "$profile"
	timeout 60 "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
		--no-default-browser-check --disable-background-networking --disable-component-update \
		--disable-sync --disable-extensions --disable-dev-shm-usage --metrics-recording-only --mute-audio \
		--user-data-dir="$profile" --virtual-time-budget=3500 "$@" "$DASH" 2>"$DEMO_DIR/logs/chromium.log"
}
dom=$(chrome dom --dump-dom)
bars=$(grep -o '<g class="bar"[^>]*data-count="[0-9]*"' <<<"$dom" | grep -o 'data-count="[0-9]*"' | tr -dc '0-9\n' | awk '$1>0' | wc -l)
[ "$bars" -ge 2 ] || fail "the dashboard shows $bars non-empty bars (want one per group address)"
rm -f "$ART/dashboard.png"
chrome shot --screenshot="$ROOT/$ART/dashboard.png" --window-size=1280,1000 >/dev/null
[ -s "$ART/dashboard.png" ] || fail "no screenshot"
size=$(stat -c %s "$ART/dashboard.png")
[ "$size" -gt 20000 ] || fail "the screenshot is only $size bytes"
pass "Chromium shows $bars non-empty bars; screenshot $ART/dashboard.png ($size bytes)"

STEP="6. everything stops"
pids=()
for f in "$DEMO_DIR"/pids/*.pid; do pids+=("$(cut -d' ' -f1 "$f")"); done
scripts/demo.sh down >"$DEMO_DIR/logs/down.log" 2>&1
for p in "${pids[@]}"; do
	kill -0 "$p" 2>/dev/null && fail "pid $p ($(tr '\0' ' ' <"/proc/$p/cmdline")) still runs"
done
ls "$DEMO_DIR"/pids/*.pid >/dev/null 2>&1 && fail "pid files left in $DEMO_DIR/pids"
for hp in "127.0.0.1:$HTTP_PORT" "127.0.0.1:$HTTPS_PORT" "127.0.0.1:$PEBBLE_PORT" "127.0.0.1:$PG_PORT" \
	"127.0.0.1:$GATEWAY_PORT" "$NET.1:8443" "$NET.2:8443" "$NET.3:8050" "$new:8443" "$new:$PG_PORT"; do
	port_open "${hp%:*}" "${hp#*:}" && fail "$hp still listens"
done
if pgrep -f "$ROOT/$DEMO_DIR" >/dev/null; then fail "processes still refer to $DEMO_DIR: $(pgrep -af "$ROOT/$DEMO_DIR")"; fi
pass "${#pids[@]} processes stopped, no listener left"
echo "e2e: all passed in $(($(date +%s) - T0)) s"
