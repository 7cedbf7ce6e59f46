#!/usr/bin/env bash
# Benchmark of `letsencrypt_keyvault_cert` (release build): a wildcard + apex certificate issued
# through Terraform (key generated in the emulated Key Vault, DNS-01 through the emulated public
# DNS, pebble with PEBBLE_VA_NOSLEEP=1), next to the same order made directly with instant-acme
# (examples/acme_direct.rs, local key) in the same run: the provider's own overhead as a ratio.
# Usage: bench/letsencrypt.sh [runs]   (needs `make setup`)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
RUNS=${1:-5}
TF=$PWD/.tools/bin/terraform-1.0.3
[ -x "$TF" ] || { echo "run make setup first" >&2; exit 1; }
cargo build --release --locked -p azure-emulator -p acilab-providers \
	--bin azure-emulator --bin terraform-provider-letsencrypt --example acme_direct >&2
BIN=$PWD/target/release
WORK=$(mktemp -d)
trap 'kill "$EMU" "$PEBBLE" 2>/dev/null || true; rm -rf "$WORK"' EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
now_ms() { echo $(($(date +%s%N) / 1000000)); }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

HTTPS=$(free_port) HTTP=$(free_port) DNS=$(free_port) ACME=$(free_port) MGMT=$(free_port)
SUB=00000000-0000-0000-0000-000000000000
RG=/subscriptions/$SUB/resourceGroups/bench
ZONE=$RG/providers/Microsoft.Network/dnsZones/example.com
VAULT=$RG/providers/Microsoft.KeyVault/vaults/kv1
cat >"$WORK/seed.json" <<JSON
{"principals": [{"client_id": "bench", "client_secret": "bench", "object_id": "bench-oid"}],
 "role_assignments": [{"principal_id": "bench-oid", "role": "Contributor", "scope": "/subscriptions/$SUB"},
                      {"principal_id": "bench-oid", "role": "Key Vault Administrator", "scope": "/subscriptions/$SUB"}],
 "dns_zones": [{"id": "$ZONE"}], "vaults": [{"name": "kv1", "resource_id": "$VAULT"}]}
JSON
"$BIN/azure-emulator" --https-addr "127.0.0.1:$HTTPS" --http-addr "127.0.0.1:$HTTP" --dns-addr "127.0.0.1:$DNS" \
	--ca-file "$WORK/ca.pem" --seed "$WORK/seed.json" 2>/dev/null &
EMU=$!
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj "/CN=bench pebble root" \
	-addext "basicConstraints=critical,CA:TRUE" -keyout "$WORK/acme-ca.key" -out "$WORK/acme-ca.pem" 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=localhost -keyout "$WORK/acme.key" -out "$WORK/acme.csr" 2>/dev/null
printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' >"$WORK/leaf.ext"
openssl x509 -req -in "$WORK/acme.csr" -CA "$WORK/acme-ca.pem" -CAkey "$WORK/acme-ca.key" -CAcreateserial -days 1 \
	-extfile "$WORK/leaf.ext" -out "$WORK/acme.pem" 2>/dev/null
cat >"$WORK/pebble.json" <<JSON
{"pebble": {"listenAddress": "127.0.0.1:$ACME", "managementListenAddress": "127.0.0.1:$MGMT",
 "certificate": "$WORK/acme.pem", "privateKey": "$WORK/acme.key", "httpPort": $(free_port), "tlsPort": $(free_port),
 "ocspResponderURL": "", "externalAccountBindingRequired": false, "domainBlocklist": [],
 "retryAfter": {"authz": 1, "order": 1}, "certificateValidityPeriod": 7776000}}
JSON
PEBBLE_VA_NOSLEEP=1 PEBBLE_AUTHZREUSE=0 /usr/bin/pebble -config "$WORK/pebble.json" -dnsserver "127.0.0.1:$DNS" -strict=false >/dev/null 2>&1 &
PEBBLE=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$HTTP/admin/health" >/dev/null && curl -sf --cacert "$WORK/acme-ca.pem" -o /dev/null "https://127.0.0.1:$ACME/dir" && break; sleep 0.1; done
TENANT=$(curl -sf "http://127.0.0.1:$HTTP/admin/health" | jq -r .tenant_id)
export ARM_ENVIRONMENT=custom ARM_AUTHORITY_HOST=https://login.azure.localhost:$HTTPS ARM_RESOURCE_MANAGER_ENDPOINT=https://management.azure.localhost:$HTTPS
export ARM_KEY_VAULT_DNS_SUFFIX=vault.azure.localhost:$HTTPS ARM_CA_BUNDLE_FILE=$WORK/ca.pem ARM_TENANT_ID=$TENANT ARM_CLIENT_ID=bench ARM_CLIENT_SECRET=bench
mkdir -p "$WORK/mirror/registry.terraform.io/acilab/letsencrypt/0.1.0/linux_amd64"
cp "$BIN/terraform-provider-letsencrypt" "$WORK/mirror/registry.terraform.io/acilab/letsencrypt/0.1.0/linux_amd64/terraform-provider-letsencrypt_v0.1.0"
printf 'provider_installation {\n  filesystem_mirror {\n    path = "%s"\n  }\n}\n' "$WORK/mirror" >"$WORK/tf.rc"
export TF_CLI_CONFIG_FILE=$WORK/tf.rc CHECKPOINT_DISABLE=1 TF_IN_AUTOMATION=1

direct=() provider=()
for i in $(seq "$RUNS"); do
	token=$(curl -sf "http://127.0.0.1:$HTTP/admin/token" -d "{\"audience\": \"https://management.azure.localhost/\", \"object_id\": \"bench-oid\"}" | jq -r .access_token)
	direct+=("$("$BIN/examples/acme_direct" "https://127.0.0.1:$ACME/dir" "$WORK/acme-ca.pem" "https://management.azure.localhost:$HTTPS" "$ZONE" "$token" example.com | cut -d' ' -f1)")
	dir=$WORK/tf$i
	mkdir -p "$dir"
	cat >"$dir/main.tf" <<TF
terraform {
  required_providers {
    letsencrypt = { source = "acilab/letsencrypt", version = "0.1.0" }
  }
}
resource "letsencrypt_keyvault_cert" "c" {
  key_vault_id              = "$VAULT"
  name                      = "bench-$i"
  common_name               = "example.com"
  subject_alternative_names = ["*.example.com"]
  dns_zone_id               = "$ZONE"
  directory_url             = "https://127.0.0.1:$ACME/dir"
  directory_ca_file         = "$WORK/acme-ca.pem"
  name_servers              = ["127.0.0.1:$DNS"]
  key_type                  = "EC"
}
TF
	"$TF" -chdir="$dir" init -input=false >/dev/null
	start=$(now_ms)
	"$TF" -chdir="$dir" apply -input=false -auto-approve >/dev/null
	provider+=($(($(now_ms) - start)))
done
d=$(printf '%s\n' "${direct[@]}" | median) p=$(printf '%s\n' "${provider[@]}" | median)
echo "| measure (median of $RUNS) | ms |"
echo "|---|---|"
echo "| direct instant-acme order (local key), same pebble and emulator | $d |"
echo "| terraform apply of letsencrypt_keyvault_cert (key in Key Vault) | $p |"
echo "| ratio provider / direct | $(python3 -c "print(f'{$p/$d:.2f}')") |"
