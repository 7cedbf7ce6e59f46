#!/usr/bin/env bash
# Benchmark of sql-api (release build) under load on loopback with wrk, against a throwaway
# PostgreSQL, next to the original sample's Flask API (erjosito/whoami api/sql_api.py) measured in
# the same run against the same database:
#   /api/healthcheck and /api/sqlsrciplog at concurrency 1 and 16: req/s, p50/p99 latency,
#   CPU per request of the API process (utime+stime from /proc/<pid>/stat before/after), RSS
#   (VmRSS after the run, VmHWM peak), non-2xx answers, srciplog rows committed during the run.
#
# Usage: bench/sql-api.sh [seconds per run (default 10)]
#   WHOAMI_SRC=<path> bench/sql-api.sh   the original, from a checkout of erjosito/whoami (its
#       directory or a bare git directory) or the sql_api.py file itself; it is copied to
#       .tools/sqlapi-bench/original/ (git-ignored) and reused by later runs. Without it (and no
#       earlier copy) only sql-api is measured.
# The original's Python dependencies (pinned) go into .tools/sqlapi-bench-venv on the first run
# (psycopg2-binary in place of psycopg2, so nothing is compiled). The original is started through
# a small shim that makes Flask listen on 127.0.0.1 instead of 0.0.0.0; otherwise it runs as it
# is (debug=True, Werkzeug's threaded development server, two new connections per sqlsrciplog).
# Needs `make setup` (postgresql, wrk).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD
DURATION=${1:-10}
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
TOOLS=$ROOT/.tools
VENV=$TOOLS/sqlapi-bench-venv
ORIG_DIR=$TOOLS/sqlapi-bench/original
PY_REQS=(flask==3.1.3 dnspython==2.9.2 requests==2.34.2 psycopg2-binary==2.9.13
	azure-identity==1.27.0 azure-keyvault-secrets==4.12.0 pymysql==1.2.4)

die() {
	printf 'bench: %s\n' "$*" >&2
	exit 1
}
command -v wrk >/dev/null || die "wrk not found: run make setup"
PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1)
[ -x "$PG_BIN/postgres" ] || die "PostgreSQL not found under /usr/lib/postgresql: run make setup"
command -v psql >/dev/null || die "psql not found: run make setup"

cargo build --release --locked -p sql-api --bin sql-api >&2
API_BIN=$ROOT/target/release/sql-api

# --- the original (optional) -------------------------------------------------------------------
if [ -n "${WHOAMI_SRC:-}" ]; then
	mkdir -p "$ORIG_DIR"
	if [ -f "$WHOAMI_SRC" ]; then
		cp "$WHOAMI_SRC" "$ORIG_DIR/sql_api.py"
	elif [ -f "$WHOAMI_SRC/api/sql_api.py" ]; then
		cp "$WHOAMI_SRC/api/sql_api.py" "$ORIG_DIR/sql_api.py"
	elif git --git-dir="$WHOAMI_SRC" rev-parse HEAD >/dev/null 2>&1; then
		git --git-dir="$WHOAMI_SRC" show HEAD:api/sql_api.py >"$ORIG_DIR/sql_api.py"
		git --git-dir="$WHOAMI_SRC" rev-parse HEAD >"$ORIG_DIR/COMMIT"
	else
		die "WHOAMI_SRC=$WHOAMI_SRC: neither sql_api.py, a checkout nor a git directory"
	fi
fi
PEER=
if [ -f "$ORIG_DIR/sql_api.py" ]; then
	PEER=1
	if ! "$VENV/bin/python" -c 'import flask, psycopg2, dns.resolver, requests, azure.identity, azure.keyvault.secrets' 2>/dev/null; then
		echo "installing the original's dependencies into ${VENV#"$ROOT"/} (once)" >&2
		python3 -m venv "$VENV"
		"$VENV/bin/pip" install --quiet --disable-pip-version-check "${PY_REQS[@]}" >&2
	fi
else
	echo "bench: no copy of the original (set WHOAMI_SRC): measuring sql-api only" >&2
fi

WORK=$(mktemp -d -t acilab-sqlapi-bench.XXXXXX)
PG_PID= API_PID= ORIG_PID=
cleanup() {
	for p in $API_PID $ORIG_PID; do kill "$p" 2>/dev/null || true; done
	[ -z "$PG_PID" ] || kill -QUIT "$PG_PID" 2>/dev/null || true
	for p in $API_PID $ORIG_PID $PG_PID; do
		for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
	done
	rm -rf "$WORK"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# --- throwaway PostgreSQL (stock settings: fsync and synchronous_commit on) ----------------------
if [ "$(id -u)" -eq 0 ]; then as_pg=(runuser -u postgres --); chown postgres "$WORK"; else as_pg=(); fi
PGPASS_VALUE=bench-$RANDOM$RANDOM
echo "$PGPASS_VALUE" >"$WORK/pw"
[ "$(id -u)" -ne 0 ] || chown postgres "$WORK/pw"
"${as_pg[@]}" "$PG_BIN/initdb" -D "$WORK/data" -U postgres --auth-local=trust --auth-host=scram-sha-256 \
	--pwfile="$WORK/pw" -E UTF8 --locale=C --no-instructions >"$WORK/initdb.log" 2>&1 ||
	{ cat "$WORK/initdb.log" >&2; die "initdb failed"; }
PG_PORT=$(free_port)
"${as_pg[@]}" "$PG_BIN/postgres" -D "$WORK/data" -p "$PG_PORT" -k "$WORK" \
	-c listen_addresses=localhost -c max_connections=200 >"$WORK/postgres.log" 2>&1 &
for _ in $(seq 200); do
	[ "$(sed -n 8p "$WORK/data/postmaster.pid" 2>/dev/null | tr -d ' ')" = ready ] && break
	sleep 0.05
done
PG_PID=$(head -n1 "$WORK/data/postmaster.pid")
psql_do() { psql -X -q -h "$WORK" -p "$PG_PORT" -U postgres -d postgres -v ON_ERROR_STOP=1 -At "$@"; }
# sql-api logs in as `bench`; the original appends "@<first label of the host>" to the user name
# (Azure's old single-server convention), so with host `localhost` it logs in as bench@localhost.
psql_do -c "CREATE ROLE bench LOGIN PASSWORD '$PGPASS_VALUE'" \
	-c "CREATE ROLE \"bench@localhost\" LOGIN PASSWORD '$PGPASS_VALUE'" \
	-c "GRANT ALL ON SCHEMA public TO bench, \"bench@localhost\""
PG_VERSION=$(psql_do -c 'SHOW server_version')

rows() { psql_do -c 'SELECT count(*) FROM srciplog'; }
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
status_kib() { awk -v k="$2:" '$1 == k {print $2}' "/proc/$1/status"; }
CLK_TCK=$(getconf CLK_TCK)
wait_http() {
	for _ in $(seq 300); do curl -sf -o /dev/null "$1" && return 0; sleep 0.05; done
	die "$1 did not answer"
}

# --- the APIs ------------------------------------------------------------------------------------
API_PORT=$(free_port)
env -i PATH="$PATH" SQL_ENGINE=postgres SQL_SERVER_FQDN=127.0.0.1 SQL_SERVER_PORT="$PG_PORT" \
	SQL_SERVER_DB=postgres SQL_SERVER_USERNAME=bench SQL_SERVER_PASSWORD="$PGPASS_VALUE" SQL_TLS=disable \
	BIND_ADDRESS=127.0.0.1 PORT="$API_PORT" SECRETS_DIR="$WORK" \
	"$API_BIN" 2>"$WORK/sql-api.log" &
API_PID=$!
wait_http "http://127.0.0.1:$API_PORT/api/healthcheck"
API_IDLE_KIB=$(status_kib "$API_PID" VmRSS)
curl -sf "http://127.0.0.1:$API_PORT/api/sqlsrcipinit" >/dev/null

if [ -n "$PEER" ]; then
	ORIG_PORT=$(free_port)
	cat >"$WORK/run_original.py" <<'PY'
"""acilab bench shim: run the original sql_api.py unchanged, but listening on 127.0.0.1 only."""
import runpy
import sys

import flask

_run = flask.Flask.run


def _run_on_loopback(self, host=None, port=None, **kwargs):
    return _run(self, host="127.0.0.1", port=port, **kwargs)


flask.Flask.run = _run_on_loopback
sys.argv = [sys.argv[1]]
runpy.run_path(sys.argv[0], run_name="__main__")
PY
	(cd "$ORIG_DIR" && exec env -i PATH="$PATH" HOME="$WORK" SQL_ENGINE=postgres SQL_SERVER_FQDN=localhost \
		SQL_SERVER_DB=postgres SQL_SERVER_USERNAME=bench SQL_SERVER_PASSWORD="$PGPASS_VALUE" \
		PGPORT="$PG_PORT" PORT="$ORIG_PORT" \
		"$VENV/bin/python" "$WORK/run_original.py" "$ORIG_DIR/sql_api.py") >"$WORK/original.log" 2>&1 &
	ORIG_PID=$!
	wait_http "http://127.0.0.1:$ORIG_PORT/api/healthcheck"
	ORIG_IDLE_KIB=$(status_kib "$ORIG_PID" VmRSS)
	ORIG_ANSWER=$(curl -s "http://127.0.0.1:$ORIG_PORT/api/sqlsrciplog")
fi

# --- load ----------------------------------------------------------------------------------------
# wrk's latency figures → milliseconds.
to_ms() { awk -v v="$1" 'BEGIN { n = v + 0; if (v ~ /us$/) n /= 1000; else if (v ~ /ms$/) n += 0; else if (v ~ /s$/) n *= 1000; printf "%.2f", n }'; }
RESULTS=$WORK/results.tsv
: >"$RESULTS"
measure() { # name pid port path connections
	local name=$1 pid=$2 port=$3 path=$4 conns=$5 threads=1 out t0 t1 rows0 rows1
	[ "$conns" -gt 1 ] && threads=2
	local url="http://127.0.0.1:$port$path"
	wrk -t"$threads" -c"$conns" -d2s "$url" >/dev/null 2>&1 # warm-up
	rows0=$(rows)
	t0=$(ticks "$pid")
	out=$(wrk -t"$threads" -c"$conns" -d"${DURATION}s" --latency "$url")
	t1=$(ticks "$pid")
	rows1=$(rows)
	local rps total p50 p99 non2xx errors cpu_us rss hwm
	rps=$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")
	total=$(awk '/requests in/ {print $1}' <<<"$out")
	p50=$(to_ms "$(awk '$1 == "50%" {print $2}' <<<"$out")")
	p99=$(to_ms "$(awk '$1 == "99%" {print $2}' <<<"$out")")
	non2xx=$(awk '/Non-2xx/ {print $NF}' <<<"$out")
	errors=$(awk '/Socket errors/ {gsub(",", ""); print $4 + $6 + $8 + $10}' <<<"$out")
	cpu_us=$(awk -v d="$((t1 - t0))" -v hz="$CLK_TCK" -v n="$total" 'BEGIN { printf "%.0f", n ? d / hz / n * 1e6 : 0 }')
	rss=$(status_kib "$pid" VmRSS)
	hwm=$(status_kib "$pid" VmHWM)
	printf '%s\t%s\t%s\t%.0f\t%s\t%s\t%s\t%.1f\t%.1f\t%s\t%s\t%s\n' "$name" "$path" "$conns" "$rps" "$p50" "$p99" \
		"$cpu_us" "$(awk -v k="$rss" 'BEGIN{print k/1024}')" "$(awk -v k="$hwm" 'BEGIN{print k/1024}')" \
		"${non2xx:-0}" "${errors:-0}" "$((rows1 - rows0))" >>"$RESULTS"
	printf 'bench: %-9s %-18s c=%-2s %8.0f req/s\n' "$name" "$path" "$conns" "$rps" >&2
}
for path in /api/healthcheck /api/sqlsrciplog; do
	for conns in 1 16; do
		measure sql-api "$API_PID" "$API_PORT" "$path" "$conns"
		[ -z "$PEER" ] || measure original "$ORIG_PID" "$ORIG_PORT" "$path" "$conns"
	done
done

# --- report (markdown) ----------------------------------------------------------------------------
echo
echo "$(date -u +%F), $(nproc)-core machine, load average before the run $LOAD_BEFORE, PostgreSQL $PG_VERSION (stock durability), wrk ${DURATION}s per row after a 2 s warm-up"
echo
echo "| API | endpoint | conc. | req/s | p50 ms | p99 ms | CPU µs/req | RSS MiB (peak) | non-2xx | errors | rows committed |"
echo "|---|---|---|---|---|---|---|---|---|---|---|"
awk -F'\t' '{ printf "| %s | `%s` | %s | %s | %s | %s | %s | %s (%s) | %s | %s | %s |\n", $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, ($2 ~ /srciplog/ ? $12 : "–") }' "$RESULTS"
echo
printf 'idle RSS after start: sql-api %.1f MiB' "$(awk -v k="$API_IDLE_KIB" 'BEGIN{print k/1024}')"
if [ -n "$PEER" ]; then
	printf ', original %.1f MiB\n' "$(awk -v k="$ORIG_IDLE_KIB" 'BEGIN{print k/1024}')"
	echo
	echo "| endpoint | conc. | req/s sql-api / original | CPU per request original / sql-api | peak RSS original / sql-api |"
	echo "|---|---|---|---|---|"
	awk -F'\t' '$1 == "sql-api" { k = $2 FS $3; rps[k] = $4; cpu[k] = $7; hwm[k] = $9; order[++n] = k }
		$1 == "original" { k = $2 FS $3; orps[k] = $4; ocpu[k] = $7; ohwm[k] = $9 }
		END { for (i = 1; i <= n; i++) { k = order[i]; split(k, p, FS)
			printf "| `%s` | %s | %.1f× | %.1f× | %.1f× |\n", p[1], p[2], orps[k] ? rps[k] / orps[k] : 0,
				cpu[k] ? ocpu[k] / cpu[k] : 0, hwm[k] ? ohwm[k] / hwm[k] : 0 } }' "$RESULTS"
	echo
	echo "original's own answer to /api/sqlsrciplog (HTTP 200 whatever happened): $ORIG_ANSWER"
else
	echo
fi
