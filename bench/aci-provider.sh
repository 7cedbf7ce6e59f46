#!/usr/bin/env bash
# Benchmark of the `aci` provider (release build) against the local emulator:
#  1. start-to-handshake of terraform-provider-aci, next to the start of the Terraform binary
#     itself (`terraform version`) measured in the same run;
#  2. `terraform plan` (refresh of every record) for 1, 10 and 100 aci_private_dns_sync
#     resources in one zone: wall time and the ARM calls the emulator counted, next to what
#     one GET per record and per container group would cost.
# Usage: bench/aci-provider.sh [runs]   (needs `make setup`; takes a few minutes)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
RUNS=${1:-20}
TF=$PWD/.tools/bin/terraform-1.0.3
[ -x "$TF" ] || { echo "run make setup first" >&2; exit 1; }

cargo build --release --locked -p azure-emulator -p acilab-providers --bin azure-emulator --bin terraform-provider-aci >&2
BIN=$PWD/target/release
WORK=$(mktemp -d)
trap 'kill "$EMU" 2>/dev/null || true; rm -rf "$WORK"' EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
now_ns() { date +%s%N; }

# --- 1. handshake ---------------------------------------------------------------------------
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-521 -nodes -subj /CN=localhost \
	-keyout "$WORK/client.key" -out "$WORK/client.pem" -days 1 2>/dev/null
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
handshake_ms() {
	local start _line
	start=$(now_ns)
	coproc P { TF_PLUGIN_MAGIC_COOKIE=d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2 \
		PLUGIN_PROTOCOL_VERSIONS=6 PLUGIN_CLIENT_CERT="$(cat "$WORK/client.pem")" "$BIN/terraform-provider-aci" 2>/dev/null; }
	read -r _line <&"${P[0]}"
	echo $((($(now_ns) - start) / 1000))
	kill "$P_PID" 2>/dev/null
	wait "$P_PID" 2>/dev/null || true
}
tf_start_us() {
	local start
	start=$(now_ns)
	"$TF" version >/dev/null
	echo $((($(now_ns) - start) / 1000))
}
prov=$(for _ in $(seq "$RUNS"); do handshake_ms; done | median)
peer=$(for _ in $(seq "$RUNS"); do tf_start_us; done | median)
echo "| measure | value |"
echo "|---|---|"
echo "| provider start to handshake (median of $RUNS) | $((prov / 1000)).$(((prov % 1000) / 100)) ms |"
echo "| peer: terraform version, same run | $((peer / 1000)).$(((peer % 1000) / 100)) ms |"
echo "| ratio provider / terraform start | $(python3 -c "print(f'{$prov/$peer:.2f}')") |"

# --- 2. refresh cost --------------------------------------------------------------------------
HTTPS=$(free_port) HTTP=$(free_port) DNS=$(free_port)
SUB=00000000-0000-0000-0000-000000000000
RG=/subscriptions/$SUB/resourceGroups/bench
cat >"$WORK/seed.json" <<JSON
{"principals": [{"client_id": "bench", "client_secret": "bench", "object_id": "bench-oid"}],
 "role_assignments": [{"principal_id": "bench-oid", "role": "Contributor", "scope": "/subscriptions/$SUB"}],
 "private_dns_zones": [{"id": "$RG/providers/Microsoft.Network/privateDnsZones/bench.internal"}],
 "container_groups": [{"id": "$RG/providers/Microsoft.ContainerInstance/containerGroups/app-0", "ip": "10.0.1.4"},
                      {"id": "$RG/providers/Microsoft.ContainerInstance/containerGroups/app-1", "ip": "10.0.1.5"}]}
JSON
"$BIN/azure-emulator" --https-addr "127.0.0.1:$HTTPS" --http-addr "127.0.0.1:$HTTP" --dns-addr "127.0.0.1:$DNS" \
	--ca-file "$WORK/ca.pem" --seed "$WORK/seed.json" 2>/dev/null &
EMU=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$HTTP/admin/health" >/dev/null && break; sleep 0.1; done
TENANT=$(curl -sf "http://127.0.0.1:$HTTP/admin/health" | jq -r .tenant_id)

mkdir -p "$WORK/mirror/registry.terraform.io/acilab/aci/0.1.0/linux_amd64"
cp "$BIN/terraform-provider-aci" "$WORK/mirror/registry.terraform.io/acilab/aci/0.1.0/linux_amd64/terraform-provider-aci_v0.1.0"
printf 'provider_installation {\n  filesystem_mirror {\n    path = "%s"\n  }\n}\n' "$WORK/mirror" >"$WORK/tf.rc"
export TF_CLI_CONFIG_FILE=$WORK/tf.rc CHECKPOINT_DISABLE=1 TF_IN_AUTOMATION=1 ARM_ENVIRONMENT=custom
export ARM_AUTHORITY_HOST=https://login.azure.localhost:$HTTPS ARM_RESOURCE_MANAGER_ENDPOINT=https://management.azure.localhost:$HTTPS
export ARM_CA_BUNDLE_FILE=$WORK/ca.pem ARM_TENANT_ID=$TENANT ARM_CLIENT_ID=bench ARM_CLIENT_SECRET=bench

counter() { curl -sf "http://127.0.0.1:$HTTP/admin/counters" | jq -r --arg k "$1" '.[$k] // 0'; }
echo
echo "| records | plan wall time | ARM calls (list records / list groups / GET) | naive GETs (record + groups) | ratio naive / ours |"
echo "|---|---|---|---|---|"
for n in 1 10 100; do
	dir=$WORK/n$n
	mkdir -p "$dir"
	printf 'terraform {\n  required_providers {\n    aci = { source = "acilab/aci", version = "0.1.0" }\n  }\n}\n' >"$dir/main.tf"
	for i in $(seq "$n"); do
		printf 'resource "aci_private_dns_sync" "r%s" {\n  private_dns_zone_id = "%s"\n  name = "%s"\n  container_group_ids = ["%s", "%s"]\n}\n' \
			"$i" "$RG/providers/Microsoft.Network/privateDnsZones/bench.internal" "n${n}r$i" \
			"$RG/providers/Microsoft.ContainerInstance/containerGroups/app-0" "$RG/providers/Microsoft.ContainerInstance/containerGroups/app-1" >>"$dir/main.tf"
	done
	"$TF" -chdir="$dir" init -input=false >/dev/null
	"$TF" -chdir="$dir" apply -input=false -auto-approve >/dev/null
	l0=$(counter PrivateDns.RecordSets_ListByType) g0=$(counter ContainerInstance.ContainerGroups_ListByResourceGroup) r0=$(counter PrivateDns.RecordSets_Get)
	start=$(now_ns)
	"$TF" -chdir="$dir" plan -input=false -detailed-exitcode >/dev/null
	ms=$((($(now_ns) - start) / 1000000))
	l=$(($(counter PrivateDns.RecordSets_ListByType) - l0)) g=$(($(counter ContainerInstance.ContainerGroups_ListByResourceGroup) - g0)) r=$(($(counter PrivateDns.RecordSets_Get) - r0))
	ours=$((l + g + r)) naive=$((n * 3))
	echo "| $n | $ms ms | $l / $g / $r | $naive | $(python3 -c "print(f'{$naive/$ours:.1f}')") |"
done
