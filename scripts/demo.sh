#!/usr/bin/env bash
# `make demo`: the whole sample on one machine, offline (issue 9).
#   scripts/demo.sh [up]                 start everything, run the traffic test, keep it running
#   scripts/demo.sh restart GROUP [IP]   restart a group with a new private IP (its agent repairs DNS)
#   scripts/demo.sh traffic [N]          N sqlsrciplog requests through the gateway (default 200)
#   scripts/demo.sh down                 (make demo-down) stop everything it started
# Loopback stands in for the VNet: each container group is real processes on its own address
# (app-0 127.0.1.1, app-1 127.0.1.2, dashboard 127.0.1.3). State, logs and pid files: .demo/.
# Environment: DEMO_PROFILE=release (default debug), DEMO_AGENT_INTERVAL (seconds, default 5),
# DEMO_QUIET=1 (no background traffic); ports and addresses: see scripts/lab/lib.sh.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=scripts/lab/lib.sh
. scripts/lab/lib.sh

if ! command -v cargo >/dev/null 2>&1 && [ -x "$HOME/.cargo/bin/cargo" ]; then
	export PATH="$HOME/.cargo/bin:$PATH"
fi

# traffic N: the sample's loop (sqlsrciplog) through the gateway; prints the rate and the
# source addresses PostgreSQL saw (one per app group).
traffic() {
	local n=${1:-200} urls=() t0 t1 out
	for _ in $(seq "$n"); do urls+=("https://$PUBLIC_ZONE:$GATEWAY_PORT/api/sqlsrciplog"); done
	t0=$(now_ms)
	# One curl, one connection kept alive; each request goes to a group the gateway picks.
	out=$(gw_curl -w '\n' "${urls[@]}")
	t1=$(now_ms)
	local ok
	ok=$(grep -c '"srciplog"' <<<"$out" || true)
	echo "traffic: $ok/$n sqlsrciplog OK in $((t1 - t0)) ms = $((ok * 1000 / (t1 - t0 + 1))) requests/s through the gateway"
	echo "traffic: source addresses seen by PostgreSQL: $(jq -r '.srciplog.ip' <<<"$out" 2>/dev/null | sort | uniq -c | awk '{printf "%s×%s ", $2, $1}')"
	[ "$ok" = "$n" ]
}

up() {
	local t0 tool
	t0=$(now_ms)
	for tool in socat /usr/sbin/nginx /usr/bin/pebble psql dig jq openssl setpriv curl; do
		command -v "$tool" >/dev/null 2>&1 || die "$tool is missing: run make setup (Debian packages)"
	done
	[ -x .tools/bin/terraform-1.0.3 ] || die "no .tools/bin/terraform-1.0.3: run make setup"
	say "building (warm builds take seconds; DEMO_PROFILE=$PROFILE)"
	local rel=()
	[ "$PROFILE" = release ] && rel=(--release)
	# Every workspace binary in one build: the same feature set as `make test`'s build, so after
	# the tests nothing is compiled again (a per-package build would resolve features anew).
	cargo build "${rel[@]}" --locked -q --workspace --bins

	say "stopping a previous demo, fresh state in $DEMO_DIR/"
	stop_all >/dev/null
	rm -rf "$DEMO_DIR/state.json" "$DEMO_DIR/pg" "$DEMO_DIR/groups" "$DEMO_DIR/gateway" \
		"$DEMO_DIR/examples" "$DEMO_DIR/local" "$DEMO_DIR/logs" "$DEMO_DIR/pids" "$DEMO_DIR/pebble-root.pem"
	mkdir -p "$DEMO_DIR/logs" "$DEMO_DIR/pids"
	trap 'printf "\ndemo: failed (logs: %s/logs/); stop what started with: make demo-down\n" "$DEMO_DIR" >&2' ERR

	say "the Azure emulator (ARM, Entra, Key Vault, DNS 127.0.0.1:$DNS_PORT), pebble, PostgreSQL 127.0.0.1:$PG_PORT"
	start_emulator
	start_pebble
	start_postgres
	echo "emulator: $(jq -c '{tenant_id, management_url, dns_port}' <<<"$HEALTH")"
	echo "pebble: https://127.0.0.1:$PEBBLE_PORT/dir (root: $DEMO_DIR/pebble-root.pem)"

	say "container groups on loopback: agent + nginx + web + sql-api per app group, dashboard + agent"
	for g in "${APP_GROUPS[@]}"; do start_app_group "$g" "${SEED_IP[$g]}"; done
	start_dashboard_group "${SEED_IP[dashboard]}"
	for g in "${APP_GROUPS[@]}"; do echo "$g: ${SEED_IP[$g]} (nginx :8443, web :8081, sql-api :8080, agent :8091)"; done
	echo "dashboard: ${SEED_IP[dashboard]} (dashboard :8050, agent :8091)"

	check_alive

	say "terraform apply examples/local: certificate (pebble → Key Vault) and dns-sync modules"
	terraform_apply

	say "the gateway stand-in: nginx on 127.0.0.1:$GATEWAY_PORT, TLS with the Key Vault certificate"
	start_gateway
	check_alive
	wait_for "the first request through the gateway" 60 \
		gw_curl -o /dev/null "https://$PUBLIC_ZONE:$GATEWAY_PORT/api/healthcheck"
	local first=$(($(now_ms) - t0))
	echo "app.$PRIVATE_ZONE → $(dig_a app); dashboard.$PRIVATE_ZONE → $(dig_a dashboard)"
	echo "first successful request through the gateway: $((first / 1000)).$(printf '%03d' $((first % 1000))) s after make demo started"
	echo "$first" >"$DEMO_DIR/first-request-ms"

	say "the sample's traffic test through https://$PUBLIC_ZONE:$GATEWAY_PORT"
	for p in healthcheck sqlsrcip sqlsrcipinit; do
		printf '/api/%s: %s\n' "$p" "$(gw_curl "https://$PUBLIC_ZONE:$GATEWAY_PORT/api/$p")"
	done
	traffic 200

	say "restart app-1 with a new private IP: its agent repairs app.$PRIVATE_ZONE, no Terraform"
	local old new
	old=$(cat "$DEMO_DIR/groups/app-1/ip")
	new=$NET.$((20 + RANDOM % 200))
	local t_restart
	t_restart=$(now_ms)
	restart_group app-1 "$new"
	wait_for "app.$PRIVATE_ZONE to hold $new" $((INTERVAL * 2 + 10)) bash -c \
		"dig @127.0.0.1 -p $DNS_PORT +short app.$PRIVATE_ZONE A | grep -qx '$new' && ! dig @127.0.0.1 -p $DNS_PORT +short app.$PRIVATE_ZONE A | grep -qx '$old'"
	echo "app-1: $old → $new; record follows in $(($(now_ms) - t_restart)) ms: app.$PRIVATE_ZONE → $(dig_a app)"
	# The gateway re-resolves every 5 s; wait for a request answered by the moved group.
	wait_for "a request through the gateway answered from $new" 30 bash -c \
		"for i in 1 2 3 4; do curl -s --max-time 5 --cacert $DEMO_DIR/pebble-root.pem --resolve $PUBLIC_ZONE:$GATEWAY_PORT:127.0.0.1 https://$PUBLIC_ZONE:$GATEWAY_PORT/api/sqlsrcip; echo; done | grep -qF '\"$new\"'"
	echo "through the gateway: /api/sqlsrcip answered from $new"

	if [ "${DEMO_QUIET:-}" != 1 ]; then
		# A slow, endless loop (the sample's test), so the dashboard's bars keep growing.
		spawn traffic bash -c "while :; do curl -s -o /dev/null --max-time 5 --cacert '$ROOT/$DEMO_DIR/pebble-root.pem' --resolve $PUBLIC_ZONE:$GATEWAY_PORT:127.0.0.1 https://$PUBLIC_ZONE:$GATEWAY_PORT/api/sqlsrciplog; sleep 0.5; done"
	fi
	trap - ERR
	cat <<EOF

demo: everything keeps running (processes: $DEMO_DIR/pids/, logs: $DEMO_DIR/logs/):
  gateway      https://$PUBLIC_ZONE:$GATEWAY_PORT/   (trust $DEMO_DIR/pebble-root.pem, pebble's root)
               e.g. curl --cacert $DEMO_DIR/pebble-root.pem https://$PUBLIC_ZONE:$GATEWAY_PORT/api/sqlsrciplog
  dashboard    https://dashboard.$PUBLIC_ZONE:$GATEWAY_PORT/   (or directly http://$(cat "$DEMO_DIR/groups/dashboard/ip"):8050/)
  app groups   $(for g in "${APP_GROUPS[@]}"; do printf '%s %s  ' "$g" "$(cat "$DEMO_DIR/groups/$g/ip")"; done)
  emulator     $ADMIN/admin/health  (DNS 127.0.0.1:$DNS_PORT: dig @127.0.0.1 -p $DNS_PORT app.$PRIVATE_ZONE)
  PostgreSQL   127.0.0.1:$PG_PORT user acilab (password in $DEMO_DIR/pg-password)
Restart a group: scripts/demo.sh restart app-0 [$NET.NN]   Stop everything: make demo-down
EOF
}

case "${1:-up}" in
up) up ;;
down)
	stop_all
	echo "demo: stopped"
	;;
restart)
	[ -n "${2:-}" ] || die "usage: $0 restart GROUP [IP]"
	[ -d "$DEMO_DIR/groups/$2" ] || die "no group $2 (app-0, app-1, dashboard)"
	emulator_env || die "the emulator is not running: make demo"
	old=$(cat "$DEMO_DIR/groups/$2/ip")
	new=${3:-$NET.$((20 + RANDOM % 200))}
	restart_group "$2" "$new"
	rec=app
	[ "$2" = dashboard ] && rec=dashboard
	wait_for "$rec.$PRIVATE_ZONE to hold $new" $((INTERVAL * 2 + 10)) bash -c \
		"dig @127.0.0.1 -p $DNS_PORT +short $rec.$PRIVATE_ZONE A | grep -qx '$new'"
	echo "$2: $old → $new; $rec.$PRIVATE_ZONE → $(dig_a "$rec")"
	;;
traffic) traffic "${2:-200}" ;;
*) die "usage: $0 [up|down|restart GROUP [IP]|traffic [N]]" ;;
esac
