#!/usr/bin/env bash
# `make demo`: start the local Azure emulator in the background and show what it serves.
# `scripts/demo.sh down` (make demo-down): stop it.
# State lives in .demo/ (git-ignored), so a restarted emulator keeps what the demo wrote.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

DEMO_DIR=.demo
PID_FILE=$DEMO_DIR/emulator.pid
LOG_FILE=$DEMO_DIR/emulator.log
CA_FILE=$DEMO_DIR/ca.pem
DOMAIN=azure.localhost
HTTPS_PORT=8443
ADMIN=http://127.0.0.1:8080
DNS_PORT=8053
EMULATOR=target/debug/azure-emulator

SUB=00000000-0000-0000-0000-000000000000
RG=/subscriptions/$SUB/resourceGroups/acilab-demo
ZONE_ID=$RG/providers/Microsoft.Network/privateDnsZones/acilab.internal
CLIENT_ID=11111111-1111-1111-1111-111111111111
CLIENT_SECRET=demo-secret

say() { printf '\n==> %s\n' "$*"; }
die() {
	printf 'demo: error: %s\n' "$*" >&2
	exit 1
}

# The pid of a running emulator from the pid file, or nothing.
running_pid() {
	local pid
	[ -f "$PID_FILE" ] || return 1
	pid=$(tr -dc '0-9' <"$PID_FILE")
	[ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
	# Guard against a recycled pid: only ever signal our emulator.
	tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q azure-emulator || return 1
	printf '%s\n' "$pid"
}

stop_pebble() {
	local pid
	[ -f "$DEMO_DIR/pebble.pid" ] || return 0
	pid=$(tr -dc '0-9' <"$DEMO_DIR/pebble.pid")
	if [ -n "$pid" ] && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q pebble; then
		kill "$pid" 2>/dev/null || true
		echo "demo: pebble (pid $pid) stopped"
	fi
	rm -f "$DEMO_DIR/pebble.pid"
}

stop() {
	stop_pebble
	local pid
	if pid=$(running_pid); then
		kill "$pid"
		for _ in $(seq 50); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -0 "$pid" 2>/dev/null && kill -9 "$pid"
		echo "demo: emulator (pid $pid) stopped"
	else
		echo "demo: emulator not running"
	fi
	rm -f "$PID_FILE"
}

case "${1:-up}" in
down)
	stop
	exit 0
	;;
up) ;;
*) die "usage: $0 [up|down]" ;;
esac

if ! command -v cargo >/dev/null 2>&1 && [ -x "$HOME/.cargo/bin/cargo" ]; then
	export PATH="$HOME/.cargo/bin:$PATH"
fi

say "building the emulator"
cargo build --locked -p azure-emulator

# Restart (the binary may have changed); the state file carries the demo's data over.
if running_pid >/dev/null; then stop; fi
if curl -sf -o /dev/null --max-time 2 "$ADMIN/admin/health"; then
	die "something else already answers on $ADMIN (not our emulator): stop it first"
fi

mkdir -p "$DEMO_DIR"
say "starting the emulator (log: $LOG_FILE)"
nohup "$EMULATOR" \
	--domain "$DOMAIN" \
	--https-addr "127.0.0.1:$HTTPS_PORT" \
	--http-addr 127.0.0.1:8080 \
	--dns-addr "127.0.0.1:$DNS_PORT" \
	--ca-file "$CA_FILE" \
	--state-file "$DEMO_DIR/state.json" \
	--seed examples/local/seed.json \
	--pid-file "$PID_FILE" \
	>"$LOG_FILE" 2>&1 </dev/null &
emu_pid=$!
trap 'printf "\ndemo: failed; the emulator may still be running: stop it with make demo-down\n" >&2' ERR

health=""
for _ in $(seq 60); do
	if health=$(curl -sf --max-time 2 "$ADMIN/admin/health"); then break; fi
	if ! kill -0 "$emu_pid" 2>/dev/null; then
		tail -n 30 "$LOG_FILE" >&2
		die "the emulator exited during start-up (see $LOG_FILE)"
	fi
	sleep 0.5
done
[ -n "$health" ] || {
	tail -n 30 "$LOG_FILE" >&2
	die "no answer from $ADMIN/admin/health after 30 s (see $LOG_FILE)"
}
echo "$health" | jq .
# The emulator writes its own pid file; cover for it so `make demo-down` always works.
[ -s "$PID_FILE" ] || echo "$emu_pid" >"$PID_FILE"
TENANT=$(jq -r .tenant_id <<<"$health")

# curl resolves *.localhost to the loopback address itself (RFC 6761).
CURL=(curl -sS --fail-with-body --max-time 30 --cacert "$CA_FILE")

say "token from https://login.$DOMAIN:$HTTPS_PORT/$TENANT/oauth2/v2.0/token"
# An access token for a resource of the emulated cloud (client-credentials grant).
token_for() {
	"${CURL[@]}" "https://login.$DOMAIN:$HTTPS_PORT/$TENANT/oauth2/v2.0/token" \
		--data-urlencode "client_id=$CLIENT_ID" \
		--data-urlencode "client_secret=$CLIENT_SECRET" \
		--data-urlencode grant_type=client_credentials \
		--data-urlencode "scope=$1/.default" |
		jq -er .access_token
}
TOKEN=$(token_for "https://management.$DOMAIN")
echo "access_token: ${TOKEN:0:24}... (JWT, ${#TOKEN} chars)"
AUTH=(-H "Authorization: Bearer $TOKEN")
ARM=https://management.$DOMAIN:$HTTPS_PORT

say "PUT private DNS A record demo.acilab.internal -> 10.0.1.4"
"${CURL[@]}" "${AUTH[@]}" -X PUT -H 'Content-Type: application/json' \
	--data '{"properties":{"ttl":60,"aRecords":[{"ipv4Address":"10.0.1.4"}]}}' \
	"$ARM$ZONE_ID/A/demo?api-version=2024-06-01" | jq .

say "container groups in acilab-demo"
"${CURL[@]}" "${AUTH[@]}" \
	"$ARM$RG/providers/Microsoft.ContainerInstance/containerGroups?api-version=2023-05-01" |
	jq -r '.value[] | "\(.name)\t\(.properties.ipAddress.ip // "-")"'

say "dig @127.0.0.1 -p $DNS_PORT +short demo.acilab.internal A"
if command -v dig >/dev/null 2>&1; then
	dig @127.0.0.1 -p "$DNS_PORT" +short +time=2 +tries=1 demo.acilab.internal A
else
	echo "(dig not installed: run make setup)"
fi

say "restart app-0 through ARM: a VNet container group comes back with a new private IP"
"${CURL[@]}" "${AUTH[@]}" -X POST -o /dev/null -w 'HTTP %{http_code}\n' \
	"$ARM$RG/providers/Microsoft.ContainerInstance/containerGroups/app-0/restart?api-version=2023-05-01"
"${CURL[@]}" "${AUTH[@]}" \
	"$ARM$RG/providers/Microsoft.ContainerInstance/containerGroups/app-0?api-version=2023-05-01" |
	jq -r '"\(.name)\t\(.properties.ipAddress.ip) (restarts: \(.properties.containers[0].properties.instanceView.restartCount))"'

say "Key Vault: a certificate whose key is generated inside the vault"
KV=https://acilab-demo-kv.vault.$DOMAIN:$HTTPS_PORT
KV_TOKEN=$(token_for "https://vault.$DOMAIN")
"${CURL[@]}" -H "Authorization: Bearer $KV_TOKEN" -H 'Content-Type: application/json' \
	--data '{"policy":{"issuer":{"name":"Self"},"key_props":{"kty":"EC","crv":"P-256"},"x509_props":{"subject":"CN=demo.acilab.localhost","validity_months":1}}}' \
	"$KV/certificates/demo-cert/create?api-version=2025-07-01" | jq '{status, csr: (.csr[0:32] + "...")}'
"${CURL[@]}" -H "Authorization: Bearer $KV_TOKEN" "$KV/certificates/demo-cert?api-version=2025-07-01" |
	jq '{id, x5t, subject: .policy.x509_props.subject, expires: (.attributes.exp | todate)}'

say "pebble (Let's Encrypt's test CA) on 127.0.0.1:14000, checking DNS-01 at the emulator's DNS"
PEBBLE=$DEMO_DIR/pebble
mkdir -p "$PEBBLE"
if [ ! -f "$PEBBLE/cert.pem" ]; then
	# A root and a leaf for pebble's HTTPS (pebble ships none; webpki refuses a CA as leaf).
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 -subj "/CN=acilab demo pebble root" \
		-addext "basicConstraints=critical,CA:TRUE" -keyout "$PEBBLE/ca.key" -out "$PEBBLE/ca.pem" 2>/dev/null
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=localhost \
		-keyout "$PEBBLE/key.pem" -out "$PEBBLE/cert.csr" 2>/dev/null
	printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' >"$PEBBLE/leaf.ext"
	openssl x509 -req -in "$PEBBLE/cert.csr" -CA "$PEBBLE/ca.pem" -CAkey "$PEBBLE/ca.key" -CAcreateserial -days 30 \
		-extfile "$PEBBLE/leaf.ext" -out "$PEBBLE/cert.pem" 2>/dev/null
fi
cat >"$PEBBLE/pebble.json" <<JSON
{"pebble": {"listenAddress": "127.0.0.1:14000", "managementListenAddress": "127.0.0.1:15000",
 "certificate": "$PWD/$PEBBLE/cert.pem", "privateKey": "$PWD/$PEBBLE/key.pem", "httpPort": 5002, "tlsPort": 5001,
 "ocspResponderURL": "", "externalAccountBindingRequired": false, "domainBlocklist": [],
 "retryAfter": {"authz": 1, "order": 1}, "certificateValidityPeriod": 7776000}}
JSON
stop_pebble
PEBBLE_VA_NOSLEEP=1 nohup /usr/bin/pebble -config "$PEBBLE/pebble.json" -dnsserver "127.0.0.1:$DNS_PORT" -strict=false \
	>"$DEMO_DIR/pebble.log" 2>&1 </dev/null &
echo $! >"$DEMO_DIR/pebble.pid"
for _ in $(seq 50); do curl -sf --cacert "$PEBBLE/ca.pem" -o /dev/null https://127.0.0.1:14000/dir && break; sleep 0.2; done

say "terraform apply examples/local: aci_private_dns_sync keeps app.acilab.internal on the groups' IPs; letsencrypt_keyvault_cert issues *.acilab.localhost into Key Vault"
cargo build --locked -p acilab-providers --bin terraform-provider-aci --bin terraform-provider-letsencrypt
mkdir -p "$DEMO_DIR/local"
for p in aci letsencrypt; do
	MIRROR=$PWD/$DEMO_DIR/mirror/registry.terraform.io/acilab/$p/0.1.0/linux_amd64
	mkdir -p "$MIRROR"
	cp "target/debug/terraform-provider-$p" "$MIRROR/terraform-provider-${p}_v0.1.0"
done
cat >"$DEMO_DIR/terraform.rc" <<RC
provider_installation {
  filesystem_mirror {
    path = "$PWD/$DEMO_DIR/mirror"
  }
}
RC
cp examples/local/*.tf "$DEMO_DIR/local/"
# A rebuilt provider has a new hash: start from a fresh lock file.
rm -f "$DEMO_DIR/local/.terraform.lock.hcl"
TF=(env TF_CLI_CONFIG_FILE="$PWD/$DEMO_DIR/terraform.rc" CHECKPOINT_DISABLE=1 TF_IN_AUTOMATION=1
	ARM_ENVIRONMENT=custom ARM_AUTHORITY_HOST="https://login.$DOMAIN:$HTTPS_PORT"
	ARM_KEY_VAULT_DNS_SUFFIX="vault.$DOMAIN:$HTTPS_PORT" TF_VAR_acme_ca_file="$PWD/$PEBBLE/ca.pem"
	ARM_RESOURCE_MANAGER_ENDPOINT="$ARM" ARM_CA_BUNDLE_FILE="$PWD/$CA_FILE"
	ARM_TENANT_ID="$TENANT" ARM_CLIENT_ID="$CLIENT_ID" ARM_CLIENT_SECRET="$CLIENT_SECRET"
	.tools/bin/terraform-1.0.3 -chdir="$DEMO_DIR/local")
"${TF[@]}" init -input=false -no-color >/dev/null
"${TF[@]}" apply -input=false -auto-approve -no-color | tail -n 22
echo "dig app.acilab.internal: $(dig @127.0.0.1 -p "$DNS_PORT" +short +time=2 +tries=1 app.acilab.internal A | tr '\n' ' ')"

say "request counters ($ADMIN/admin/counters)"
curl -sS "$ADMIN/admin/counters" | jq .

trap - ERR
cat <<EOF

demo: the emulator keeps running (pid $(running_pid || echo "$emu_pid")):
  admin      $ADMIN/admin/health
  login      https://login.$DOMAIN:$HTTPS_PORT   (CA: $CA_FILE)
  ARM        $ARM
  Key Vault  https://acilab-demo-kv.vault.$DOMAIN:$HTTPS_PORT
  DNS        127.0.0.1:$DNS_PORT (udp/tcp)
Stop it with: make demo-down
EOF
