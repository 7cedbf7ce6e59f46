# shellcheck shell=bash
# The whole sample on one machine: shared by scripts/demo.sh (make demo / make demo-down) and
# scripts/lab/e2e.sh (the end-to-end test). Sourced from the repository root.
#
# Loopback stands in for the VNet: every container group is a set of real processes bound to its
# own address (its "private IP" in the emulator). Processes are started with `spawn`, which keeps
# a pid file per process in $DEMO_DIR/pids, and stopped only through those files (with a check of
# the command line, so a recycled pid is never signalled).

DEMO_DIR=${DEMO_DIR:-.demo}
ROOT=$PWD
DOMAIN=azure.localhost
# Loopback ports of the shared services, and the /24 the groups' addresses come from; the
# defaults are make demo's, the end-to-end test picks free ones (so it runs next to a demo).
HTTPS_PORT=${DEMO_HTTPS_PORT:-8443}
HTTP_PORT=${DEMO_HTTP_PORT:-8080}
ADMIN=http://127.0.0.1:$HTTP_PORT
DNS_PORT=${DEMO_DNS_PORT:-8053}
PEBBLE_PORT=${DEMO_PEBBLE_PORT:-14000}
PEBBLE_MGMT_PORT=${DEMO_PEBBLE_MGMT_PORT:-15000}
PG_PORT=${DEMO_PG_PORT:-15432}
GATEWAY_PORT=${DEMO_GATEWAY_PORT:-9443}
NET=${DEMO_NET:-127.0.1}
PUBLIC_ZONE=acilab.localhost
PRIVATE_ZONE=acilab.internal
INTERVAL=${DEMO_AGENT_INTERVAL:-5}
PROFILE=${DEMO_PROFILE:-debug}
BIN=target/$PROFILE
PG_BIN=$(find /usr/lib/postgresql -maxdepth 2 -name bin -type d 2>/dev/null | sort -V | tail -n 1)

SUB=00000000-0000-0000-0000-000000000000
RG=/subscriptions/$SUB/resourceGroups/acilab-demo
ZONE_ID=$RG/providers/Microsoft.Network/privateDnsZones/$PRIVATE_ZONE
GROUPS_ID=$RG/providers/Microsoft.ContainerInstance/containerGroups
CLIENT_ID=11111111-1111-1111-1111-111111111111
CLIENT_SECRET=demo-secret
MI_CLIENT_ID=31111111-1111-1111-1111-111111111111
DNS_OWNER=acilab-demo
CERT_NAME=wildcard
# The seed's groups and their first addresses (examples/local/seed.json).
# shellcheck disable=SC2034 # used by the scripts that source this file
APP_GROUPS=(app-0 app-1)
# shellcheck disable=SC2034
declare -A SEED_IP=([app-0]=$NET.1 [app-1]=$NET.2 [dashboard]=$NET.3)

say() { printf '\n==> %s\n' "$*"; }
die() {
	printf 'demo: error: %s\n' "$*" >&2
	exit 1
}
now_ms() { date +%s%3N; }

# ---------------------------------------------------------------------------------------------
# processes

# spawn NAME CMD...: start CMD in the background, log to $DEMO_DIR/logs/NAME.log, pid file
# $DEMO_DIR/pids/NAME.pid (pid, then the executable's base name for the recycled-pid check).
spawn() {
	local name=$1
	shift
	mkdir -p "$DEMO_DIR/pids" "$DEMO_DIR/logs"
	local a prog=""
	# The program itself, past `env [-i] VAR=…` and `setpriv --…` (both exec it, keeping the pid).
	for a in "$@"; do
		case $a in env | setpriv | *=* | -*) ;; *)
			prog=$(basename "$a")
			break
			;;
		esac
	done
	nohup "$@" >"$DEMO_DIR/logs/$name.log" 2>&1 </dev/null &
	printf '%s %s\n' "$!" "$prog" >"$DEMO_DIR/pids/$name.pid"
}

# The pid of NAME if it still runs the program it was started as.
pid_of() {
	local f=$DEMO_DIR/pids/$1.pid pid prog
	[ -f "$f" ] || return 1
	read -r pid prog <"$f" || return 1
	[ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
	tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF "$prog" || return 1
	printf '%s\n' "$pid"
}

# stop NAME [seconds]: SIGTERM, wait, then SIGKILL.
stop_proc() {
	local name=$1 wait=${2:-10} pid
	if pid=$(pid_of "$name"); then
		kill -TERM "$pid" 2>/dev/null || true
		for _ in $(seq $((wait * 10))); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		if kill -0 "$pid" 2>/dev/null; then
			kill -KILL "$pid" 2>/dev/null || true
			echo "demo: $name (pid $pid) killed"
		else
			echo "demo: $name (pid $pid) stopped"
		fi
	fi
	rm -f "$DEMO_DIR/pids/$name.pid"
}

# Stop every process matching a glob of names, in parallel (agents withdraw their IP on SIGTERM).
stop_matching() {
	local f n pids=()
	for f in "$DEMO_DIR"/pids/$1.pid; do
		[ -e "$f" ] || continue
		n=$(basename "$f" .pid)
		stop_proc "$n" "${2:-10}" &
		pids+=($!)
	done
	for p in "${pids[@]}"; do wait "$p" || true; done
}

# wait_for WHAT SECONDS CMD...: retry CMD every 0.1 s.
wait_for() {
	local what=$1 secs=$2
	shift 2
	local deadline=$(($(date +%s) + secs))
	until "$@" >/dev/null 2>&1; do
		[ "$(date +%s)" -lt "$deadline" ] || {
			echo "demo: timed out after ${secs}s waiting for $what" >&2
			return 1
		}
		sleep 0.1
	done
}

port_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

# ---------------------------------------------------------------------------------------------
# emulator, pebble, PostgreSQL

start_emulator() {
	# examples/local/seed.json, its group addresses moved to $NET.0/24.
	sed "s/127\.0\.1\./$NET./g" examples/local/seed.json >"$DEMO_DIR/seed.json"
	if curl -sf -o /dev/null --max-time 2 "$ADMIN/admin/health"; then
		die "something already answers on $ADMIN (another emulator?): make demo-down, or stop it"
	fi
	spawn emulator "$ROOT/$BIN/azure-emulator" \
		--domain "$DOMAIN" --https-addr "127.0.0.1:$HTTPS_PORT" --http-addr "127.0.0.1:$HTTP_PORT" \
		--dns-addr "127.0.0.1:$DNS_PORT" --ca-file "$DEMO_DIR/ca.pem" \
		--state-file "$DEMO_DIR/state.json" --seed "$DEMO_DIR/seed.json"
	wait_for "the emulator ($DEMO_DIR/logs/emulator.log)" 30 curl -sf --max-time 1 "$ADMIN/admin/health"
	HEALTH=$(curl -sf "$ADMIN/admin/health")
	TENANT=$(jq -r .tenant_id <<<"$HEALTH")
	IDENTITY_ENDPOINT=$(jq -r .identity_endpoint <<<"$HEALTH")
	IDENTITY_HEADER=$(jq -r .identity_header <<<"$HEALTH")
}

emulator_env() {
	HEALTH=$(curl -sf --max-time 2 "$ADMIN/admin/health") || return 1
	TENANT=$(jq -r .tenant_id <<<"$HEALTH")
	IDENTITY_ENDPOINT=$(jq -r .identity_endpoint <<<"$HEALTH")
	IDENTITY_HEADER=$(jq -r .identity_header <<<"$HEALTH")
}

start_pebble() {
	local P=$DEMO_DIR/pebble
	mkdir -p "$P"
	if [ ! -f "$P/cert.pem" ]; then
		# A root and a leaf for pebble's HTTPS (pebble ships none; webpki refuses a CA as leaf).
		openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 -subj "/CN=acilab demo pebble root" \
			-addext "basicConstraints=critical,CA:TRUE" -keyout "$P/ca.key" -out "$P/ca.pem" 2>/dev/null
		openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=localhost \
			-keyout "$P/key.pem" -out "$P/cert.csr" 2>/dev/null
		printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' >"$P/leaf.ext"
		openssl x509 -req -in "$P/cert.csr" -CA "$P/ca.pem" -CAkey "$P/ca.key" -CAcreateserial -days 30 \
			-extfile "$P/leaf.ext" -out "$P/cert.pem" 2>/dev/null
	fi
	cat >"$P/pebble.json" <<JSON
{"pebble": {"listenAddress": "127.0.0.1:$PEBBLE_PORT", "managementListenAddress": "127.0.0.1:$PEBBLE_MGMT_PORT",
 "certificate": "$ROOT/$P/cert.pem", "privateKey": "$ROOT/$P/key.pem", "httpPort": 5002, "tlsPort": 5001,
 "ocspResponderURL": "", "externalAccountBindingRequired": false, "domainBlocklist": [],
 "retryAfter": {"authz": 1, "order": 1}, "certificateValidityPeriod": 7776000}}
JSON
	port_open 127.0.0.1 "$PEBBLE_PORT" && die "something already listens on 127.0.0.1:$PEBBLE_PORT (another pebble?)"
	PEBBLE_VA_NOSLEEP=1 spawn pebble /usr/bin/pebble -config "$P/pebble.json" \
		-dnsserver "127.0.0.1:$DNS_PORT" -strict=false
	wait_for "pebble ($DEMO_DIR/logs/pebble.log)" 20 curl -sf --cacert "$P/ca.pem" -o /dev/null "https://127.0.0.1:$PEBBLE_PORT/dir"
	# The root pebble signs with (made at its start): what clients of the gateway trust.
	curl -sf --cacert "$P/ca.pem" "https://127.0.0.1:$PEBBLE_MGMT_PORT/roots/0" >"$DEMO_DIR/pebble-root.pem"
}

# PostgreSQL on 127.0.0.1:$PG_PORT; as root, initdb and postgres run as the postgres user (as
# app_db::testing does). Accepts password logins from 127.0.0.0/8 (the groups' addresses).
start_postgres() {
	local D=$DEMO_DIR/pg
	[ -n "$PG_BIN" ] || die "no /usr/lib/postgresql/*/bin: run make setup"
	port_open 127.0.0.1 "$PG_PORT" && die "something already listens on 127.0.0.1:$PG_PORT"
	rm -rf "$D"
	mkdir -p "$D"
	PG_PASSWORD=$(openssl rand -hex 16)
	printf '%s\n' "$PG_PASSWORD" >"$D/pw"
	printf '%s\n' "$PG_PASSWORD" >"$DEMO_DIR/pg-password"
	chmod 600 "$DEMO_DIR/pg-password"
	local as=()
	if [ "$(id -u)" = 0 ]; then
		chown -R postgres:postgres "$D"
		as=(setpriv --reuid=postgres --regid=postgres --init-groups)
	fi
	(cd "$D" && "${as[@]}" "$PG_BIN/initdb" -D "$ROOT/$D/data" -U acilab --auth=scram-sha-256 -E UTF8 --locale=C \
		--no-sync --no-instructions --pwfile="$ROOT/$D/pw" >"$ROOT/$D/initdb.log" 2>&1) ||
		die "initdb failed: $D/initdb.log"
	echo "host all all 127.0.0.0/8 scram-sha-256" >>"$D/data/pg_hba.conf"
	rm -f "$D/pw"
	spawn postgres "${as[@]}" "$PG_BIN/postgres" -D "$ROOT/$D/data" -p "$PG_PORT" -k "$ROOT/$D" \
		-c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off -c shared_buffers=32MB
	wait_for "PostgreSQL ($DEMO_DIR/logs/postgres.log)" 30 \
		env PGPASSWORD="$PG_PASSWORD" psql -h 127.0.0.1 -p "$PG_PORT" -U acilab -d postgres -Atc 'select 1'
}

psql_demo() {
	env PGPASSWORD="$(cat "$DEMO_DIR/pg-password")" psql -h 127.0.0.1 -p "$PG_PORT" -U acilab -d postgres -Atc "$1"
}

# ---------------------------------------------------------------------------------------------
# terraform apply of examples/local

# TF: terraform 1.0.3 on the copy of examples/local, pointed at the emulator and pebble.
tf_setup() {
	TF=(env TF_CLI_CONFIG_FILE="$ROOT/$DEMO_DIR/terraform.rc" CHECKPOINT_DISABLE=1 TF_IN_AUTOMATION=1
		ARM_ENVIRONMENT=custom ARM_AUTHORITY_HOST="https://login.$DOMAIN:$HTTPS_PORT"
		ARM_KEY_VAULT_DNS_SUFFIX="vault.$DOMAIN:$HTTPS_PORT" TF_VAR_acme_ca_file="$ROOT/$DEMO_DIR/pebble/ca.pem"
		ARM_RESOURCE_MANAGER_ENDPOINT="https://management.$DOMAIN:$HTTPS_PORT" ARM_CA_BUNDLE_FILE="$ROOT/$DEMO_DIR/ca.pem"
		ARM_TENANT_ID="$TENANT" ARM_CLIENT_ID="$CLIENT_ID" ARM_CLIENT_SECRET="$CLIENT_SECRET"
		TF_VAR_acme_directory_url="https://127.0.0.1:$PEBBLE_PORT/dir" TF_VAR_dns_check_servers="[\"127.0.0.1:$DNS_PORT\"]"
		"$ROOT/.tools/bin/terraform-1.0.3" -chdir="$DEMO_DIR/examples/local")
}

terraform_apply() {
	mkdir -p "$DEMO_DIR/examples/local"
	for p in aci letsencrypt; do
		local M=$ROOT/$DEMO_DIR/mirror/registry.terraform.io/acilab/$p/0.1.0/linux_amd64
		mkdir -p "$M"
		cp "$BIN/terraform-provider-$p" "$M/terraform-provider-${p}_v0.1.0"
	done
	cat >"$DEMO_DIR/terraform.rc" <<RC
provider_installation {
  filesystem_mirror {
    path = "$ROOT/$DEMO_DIR/mirror"
  }
}
RC
	# The example refers to the modules by relative path (../../terraform/modules/...).
	ln -sfn "$ROOT/terraform" "$DEMO_DIR/terraform"
	cp examples/local/*.tf "$DEMO_DIR/examples/local/"
	rm -f "$DEMO_DIR/examples/local/.terraform.lock.hcl"
	tf_setup
	"${TF[@]}" init -input=false -no-color >"$DEMO_DIR/logs/terraform-init.log" 2>&1 ||
		{ tail -n 30 "$DEMO_DIR/logs/terraform-init.log" >&2; die "terraform init failed"; }
	"${TF[@]}" apply -input=false -auto-approve -no-color >"$DEMO_DIR/logs/terraform-apply.log" 2>&1 ||
		{ tail -n 40 "$DEMO_DIR/logs/terraform-apply.log" >&2; die "terraform apply failed"; }
	sed -n '/^Apply complete/,$p' "$DEMO_DIR/logs/terraform-apply.log"
}

# ---------------------------------------------------------------------------------------------
# container groups

# Current IP of a group in the emulator (ARM view through the admin state).
group_ip() {
	curl -sf "$ADMIN/admin/state" | jq -r --arg id "$GROUPS_ID/$1" '
		[.. | objects | select((.id? // "" | ascii_downcase) == ($id | ascii_downcase))][0]
		| (.properties.ipAddress.ip? // .ip? // empty)'
}

# The agent's environment for group $1 (DNS record $2; the certificate job unless $3 = nocert).
agent_env() {
	local group=$1 record=$2 ip=$3 dir=$DEMO_DIR/groups/$1
	AGENT_ENV=(IDENTITY_ENDPOINT="$IDENTITY_ENDPOINT" IDENTITY_HEADER="$IDENTITY_HEADER"
		AZURE_CLIENT_ID="$MI_CLIENT_ID" AZURE_AUTHORITY_HOST="https://login.$DOMAIN:$HTTPS_PORT"
		ACILAB_RESOURCE_MANAGER_ENDPOINT="https://management.$DOMAIN:$HTTPS_PORT"
		ACILAB_RESOURCE_MANAGER_AUDIENCE="https://management.$DOMAIN"
		ACILAB_CA_BUNDLE_FILE="$ROOT/$DEMO_DIR/ca.pem"
		ACILAB_INTERVAL_SECONDS="$INTERVAL" ACILAB_SHUTDOWN_TIMEOUT_SECONDS=5)
	if [ -n "$record" ]; then
		AGENT_ENV+=(ACILAB_CONTAINER_GROUP_ID="$GROUPS_ID/$group" ACILAB_DNS_ZONE_ID="$ZONE_ID"
			ACILAB_DNS_RECORD_NAME="$record" ACILAB_DNS_OWNER="$DNS_OWNER")
	fi
	if [ -n "$ip" ]; then AGENT_ENV+=(ACILAB_HEALTH_ADDR="$ip:8091"); else AGENT_ENV+=(ACILAB_HEALTH_ADDR=off); fi
	if [ "${4:-}" != nocert ]; then
		AGENT_ENV+=(ACILAB_CERT_KEY_VAULT_URL="https://acilab-demo-kv.vault.$DOMAIN:$HTTPS_PORT/"
			ACILAB_CERT_NAME="$CERT_NAME" ACILAB_CERT_DIR="$ROOT/$dir/certs")
	fi
}

# The app-container-group module's nginx.conf.tftpl, rendered as its templatefile call does.
# In ACI the group's containers share one network namespace, so the template proxies to
# 127.0.0.1; here the group's "namespace" is its loopback address, so that address replaces it.
render_group_nginx() {
	local group=$1 ip=$2 dir=$ROOT/$DEMO_DIR/groups/$1
	mkdir -p "$dir/nginx"
	sed -e "s|\${worker_user}|$(id -un)|g" -e "s|\${run_dir}|$dir/nginx|g" \
		-e "s|\${cert_dir}|$dir/certs|g" -e "s|\${tls_port}|$ip:8443|g" \
		-e "s|\${web_port}|8081|g" -e "s|\${api_port}|8080|g" \
		-e "s|http://127\.0\.0\.1:|http://$ip:|g" \
		-e "s|^error_log /dev/stderr warn;|error_log $dir/nginx/error.log warn;|" \
		-e "s|access_log /dev/stdout;|access_log off;|" \
		terraform/modules/app-container-group/templates/nginx.conf.tftpl >"$dir/nginx/nginx.conf"
	# shellcheck disable=SC2016
	grep -q '\${' "$dir/nginx/nginx.conf" && die "unfilled template variable in $dir/nginx/nginx.conf"
	return 0
}

db_env() {
	mkdir -p "$DEMO_DIR/no-secrets"
	DB_ENV=(SQL_ENGINE=postgres SQL_SERVER_FQDN="$1" SQL_SERVER_PORT="$PG_PORT" SQL_SERVER_DB=postgres
		SQL_SERVER_USERNAME=acilab SQL_SERVER_PASSWORD="$(cat "$DEMO_DIR/pg-password")" SQL_TLS=disable
		SECRETS_DIR="$ROOT/$DEMO_DIR/no-secrets")
}

# The group's route to the database: connections leave from the group's address (socat binds
# it as source), so PostgreSQL sees each group's private IP as in the VNet.
start_db_link() {
	local group=$1 ip=$2
	spawn "$group.dblink" socat "TCP-LISTEN:$PG_PORT,bind=$ip,reuseaddr,fork" "TCP:127.0.0.1:$PG_PORT,bind=$ip"
}

# start_app_group GROUP IP: agent, nginx, web, sql-api (and the database link) on IP.
start_app_group() {
	local group=$1 ip=$2 dir=$DEMO_DIR/groups/$1
	mkdir -p "$dir/certs"
	echo "$ip" >"$dir/ip"
	start_db_link "$group" "$ip"
	db_env "$ip"
	spawn "$group.sql-api" env "${DB_ENV[@]}" BIND_ADDRESS="$ip" PORT=8080 "$ROOT/$BIN/sql-api"
	spawn "$group.web" env LISTEN_ADDR="$ip:8081" API_URL="http://$ip:8080" "$ROOT/$BIN/web"
	agent_env "$group" app "$ip"
	# A clean environment, as in a container (the agent refuses unknown ACILAB_* variables).
	spawn "$group.agent" env -i PATH="$PATH" "${AGENT_ENV[@]}" "$ROOT/$BIN/acilab-agent"
	render_group_nginx "$group" "$ip"
	spawn "$group.nginx" /usr/sbin/nginx -p "$ROOT/$dir/nginx" -c "$ROOT/$dir/nginx/nginx.conf"
}

start_dashboard_group() {
	local ip=$1 dir=$DEMO_DIR/groups/dashboard
	mkdir -p "$dir"
	echo "$ip" >"$dir/ip"
	start_db_link dashboard "$ip"
	db_env "$ip"
	spawn dashboard.dashboard env "${DB_ENV[@]}" LISTEN_ADDR="$ip:8050" "$ROOT/$BIN/dashboard"
	agent_env dashboard dashboard "$ip" nocert
	spawn dashboard.agent env -i PATH="$PATH" "${AGENT_ENV[@]}" "$ROOT/$BIN/acilab-agent"
}

# Every process of the demo still runs (else: its log's tail, and fail).
check_alive() {
	local f n bad=0
	for f in "$DEMO_DIR"/pids/*.pid; do
		[ -e "$f" ] || continue
		n=$(basename "$f" .pid)
		if ! pid_of "$n" >/dev/null; then
			echo "demo: $n exited: $(tail -n 3 "$DEMO_DIR/logs/$n.log")" >&2
			bad=1
		fi
	done
	return "$bad"
}

stop_group() {
	# The agent first (it withdraws the group's IP from the record), the rest meanwhile.
	stop_matching "$1.*" 10
}

# The gateway stand-in (App Gateway): nginx on 127.0.0.1:$GATEWAY_PORT with the same Key Vault
# certificate (written by its own agent, certificate job only), routing by the private FQDNs
# resolved through the emulator's DNS (re-resolved every 5 s), HTTPS to the app groups' nginx
# verified against pebble's root and the certificate's name.
start_gateway() {
	local dir=$ROOT/$DEMO_DIR/gateway
	port_open 127.0.0.1 "$GATEWAY_PORT" && die "something already listens on 127.0.0.1:$GATEWAY_PORT"
	mkdir -p "$dir/certs" "$dir/nginx"
	agent_env gateway "" "" cert
	AGENT_ENV=("${AGENT_ENV[@]/#ACILAB_CERT_DIR=*/ACILAB_CERT_DIR=$dir/certs}")
	spawn gateway.agent env -i PATH="$PATH" "${AGENT_ENV[@]}" "$ROOT/$BIN/acilab-agent"
	cat >"$dir/nginx/nginx.conf" <<CONF
# Generated by scripts/lab/lib.sh (make demo): the App Gateway stand-in.
user $(id -un);
worker_processes 1;
daemon off;
pid $dir/nginx/nginx.pid;
error_log $dir/nginx/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $dir/nginx/client_body;
  proxy_temp_path $dir/nginx/proxy;
  fastcgi_temp_path $dir/nginx/fastcgi;
  uwsgi_temp_path $dir/nginx/uwsgi;
  scgi_temp_path $dir/nginx/scgi;
  # The VNet's DNS: the Private DNS zone as the emulator serves it.
  resolver 127.0.0.1:$DNS_PORT valid=5s ipv6=off;
  resolver_timeout 2s;
  map \$ssl_server_name \$gw_certificate { default $dir/certs/tls.pem; }
  ssl_certificate     \$gw_certificate;
  ssl_certificate_key \$gw_certificate;
  ssl_protocols TLSv1.2 TLSv1.3;
  proxy_http_version 1.1;
  proxy_set_header Connection "";
  proxy_set_header Host \$host;
  proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
  proxy_set_header X-Forwarded-Proto https;
  proxy_connect_timeout 2s;
  proxy_read_timeout 30s;
  proxy_next_upstream error timeout http_502 http_503;
  # Backend pool: HTTPS to the groups' nginx, checked like App Gateway's trusted root + host name.
  proxy_ssl_verify on;
  proxy_ssl_trusted_certificate $ROOT/$DEMO_DIR/pebble-root.pem;
  proxy_ssl_server_name on;
  proxy_ssl_name app.$PUBLIC_ZONE;
  proxy_ssl_session_reuse on;

  server {
    listen 127.0.0.1:$GATEWAY_PORT ssl default_server;
    server_name $PUBLIC_ZONE *.$PUBLIC_ZONE;
    location / {
      set \$backend app.$PRIVATE_ZONE;
      proxy_pass https://\$backend:8443;
    }
  }
  server {
    listen 127.0.0.1:$GATEWAY_PORT ssl;
    server_name dashboard.$PUBLIC_ZONE;
    location / {
      set \$dashboard dashboard.$PRIVATE_ZONE;
      proxy_pass http://\$dashboard:8050;
    }
  }
}
CONF
	spawn gateway.nginx /usr/sbin/nginx -p "$dir/nginx" -c "$dir/nginx/nginx.conf"
}

# The record's addresses as the emulator's DNS answers them, sorted, space-separated.
dig_a() {
	dig @127.0.0.1 -p "$DNS_PORT" +short +time=1 +tries=1 "$1.$PRIVATE_ZONE" A | sort | tr '\n' ' ' | sed 's/ $//'
}

gw_curl() {
	curl -sS --fail-with-body --max-time 10 --cacert "$DEMO_DIR/pebble-root.pem" \
		--resolve "$PUBLIC_ZONE:$GATEWAY_PORT:127.0.0.1" --resolve "dashboard.$PUBLIC_ZONE:$GATEWAY_PORT:127.0.0.1" "$@"
}

# restart_group GROUP NEW_IP: the emulator restarts the group with a new private IP (as ACI
# does); its processes move to that address. Only the agent repairs the record.
restart_group() {
	local group=$1 ip=$2
	curl -sSf -X POST -H 'Content-Type: application/json' \
		--data "{\"id\": \"$GROUPS_ID/$group\", \"ip\": \"$ip\"}" "$ADMIN/admin/container-groups/restart" >/dev/null
	stop_group "$group"
	if [ "$group" = dashboard ]; then start_dashboard_group "$ip"; else start_app_group "$group" "$ip"; fi
}

# Everything the demo started, in reverse order; nothing is left running.
stop_all() {
	stop_matching 'traffic' 5
	stop_matching '*.agent' 10
	stop_matching '*' 10
	# Older demos kept their pids here.
	for f in "$DEMO_DIR/emulator.pid" "$DEMO_DIR/pebble.pid"; do
		[ -f "$f" ] || continue
		local pid
		pid=$(tr -dc '0-9' <"$f")
		if [ -n "$pid" ] && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qE 'azure-emulator|pebble'; then
			kill "$pid" 2>/dev/null || true
		fi
		rm -f "$f"
	done
}
