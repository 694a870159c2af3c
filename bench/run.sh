#!/usr/bin/env bash
# bench/run.sh — build Portico and the floor, start them on loopback, run every load scenario
# under each configuration and write bench/results/<date>.md with a table per configuration and
# backend, each with every scenario's ratio to the floor measured in the same run.
#
# Configurations: "password" (password and profile only) and "mfa" (what a deployment with
# second factors runs: password, profile, TOTP, lookup codes, WebAuthn and passkeys; every new
# settings flow then offers a TOTP key with its QR code and lookup-code and security-key nodes).
#
# Needs only Go (and bash). Everything it starts runs on loopback and is stopped on exit.
#
# Environment (all optional):
#   PORTICO_BENCH_DURATION       measured time per scenario        (default 10s)
#   PORTICO_BENCH_CONCURRENCY    concurrent clients                (default 16)
#   PORTICO_BENCH_IDENTITIES     identities created and signed in  (default: one per client)
#   PORTICO_BENCH_SCENARIOS      comma list or "all"               (default all)
#   PORTICO_BENCH_BCRYPT_COST    bcrypt cost Portico hashes with   (default 12; outside dev mode Portico
#                                raises anything lower to 12, and the table then says 12)
#   PORTICO_BENCH_CONFIGS        comma list of configurations      (default password,mfa)
#   PORTICO_BENCH_POSTGRES_DSN   also run Portico on this PostgreSQL database (it is migrated;
#                                each configuration's run adds its own identities to it)
#   PORTICO_BENCH_SQLITE_PARAMS  query parameters added to the SQLite DSN, e.g.
#                                "_pragma=mmap_size(0)&_pragma=cache_size(-2000)" (default none;
#                                the tables then say so)
#   PORTICO_BENCH_PORT           first of four ports used          (default 24433)
#   PORTICO_BENCH_OUT            results file                      (default bench/results/<date>.md, or <date>-b.md, -c.md … if taken)
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

duration=${PORTICO_BENCH_DURATION:-10s}
concurrency=${PORTICO_BENCH_CONCURRENCY:-16}
identities=${PORTICO_BENCH_IDENTITIES:-0}
scenarios=${PORTICO_BENCH_SCENARIOS:-all}
cost=${PORTICO_BENCH_BCRYPT_COST:-12}
if [ "$cost" -lt 12 ]; then cost=12; fi # what Portico really uses outside dev mode
port=${PORTICO_BENCH_PORT:-24433}
pg_dsn=${PORTICO_BENCH_POSTGRES_DSN:-}
sqlite_params=${PORTICO_BENCH_SQLITE_PARAMS:-}
configs=${PORTICO_BENCH_CONFIGS:-password,mfa}
out=${PORTICO_BENCH_OUT:-}
if [ -z "$out" ]; then
	# A day's first run is <date>.md, later ones <date>-b.md, -c.md, …: a run never replaces
	# an earlier result.
	day=$(date -u +%Y-%m-%d)
	out=bench/results/$day.md
	for s in b c d e f g h i j k l m n o p q r s t u v w x y z; do
		[ -e "$out" ] || break
		out=bench/results/$day-$s.md
	done
fi

public_port=$port
admin_port=$((port + 1))
floor_port=$((port + 2))

work=$(mktemp -d "${TMPDIR:-/tmp}/portico-bench.XXXXXX")
pids=()
cleanup() {
	for pid in "${pids[@]}"; do
		kill "$pid" 2>/dev/null || true
	done
	for pid in "${pids[@]}"; do
		wait "$pid" 2>/dev/null || true
	done
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log() { printf 'bench: %s\n' "$*" >&2; }

# wait_port waits until something accepts connections on 127.0.0.1:$1 (bash's /dev/tcp, so no
# curl is needed), or fails after about 30 seconds.
wait_port() {
	for _ in $(seq 1 300); do
		if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then
			return 0
		fi
		sleep 0.1
	done
	log "nothing answers on port $1"
	return 1
}

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

for p in "$public_port" "$admin_port" "$floor_port"; do
	port_free "$p" || { log "port $p is in use; set PORTICO_BENCH_PORT"; exit 1; }
done

# The machine may be shared: the results say how busy it was.
load_start=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown)

log "building portico, the floor and the load tool"
go build -o "$work/portico" ./cmd/portico
go build -o "$work/floor" ./bench/floor
go build -o "$work/load" ./bench/load

secret=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
cp internal/config/default.schema.json "$work/identity.schema.json"

# config_title NAME: how a configuration is labelled in the results.
config_title() {
	case "$1" in
	password) echo "password-only config (password, profile)" ;;
	mfa) echo "MFA config (password, profile, TOTP, lookup codes, WebAuthn, passkeys)" ;;
	*)
		log "unknown configuration $1 (known: password, mfa)"
		return 1
		;;
	esac
}

# write_config FILE DSN CONFIG
write_config() {
	cat >"$1" <<YAML
dsn: "$2"
log:
  level: warn
  format: json
serve:
  public:
    host: 127.0.0.1
    port: $public_port
    base_url: http://127.0.0.1:$public_port/
  admin:
    host: 127.0.0.1
    port: $admin_port
    base_url: http://127.0.0.1:$admin_port/
secrets:
  cookie:
    - "$secret"
hashers:
  algorithm: bcrypt
  bcrypt:
    cost: $cost
identity:
  default_schema_id: default
  schemas:
    - id: default
      url: file://$work/identity.schema.json
selfservice:
  default_browser_return_url: http://127.0.0.1:$public_port/
  methods:
    password:
      enabled: true
    profile:
      enabled: true
YAML
	if [ "$3" = mfa ]; then
		# The relying party is the public listener; no ceremony is run, but the methods add
		# their nodes to every settings flow and their checks to every request.
		cat >>"$1" <<YAML
    totp:
      enabled: true
      config:
        issuer: Portico bench
    lookup_secret:
      enabled: true
    webauthn:
      enabled: true
      config:
        rp:
          id: localhost
          display_name: Portico bench
          origins:
            - http://localhost:$public_port
    passkey:
      enabled: true
      config:
        rp:
          id: localhost
          display_name: Portico bench
          origins:
            - http://localhost:$public_port
YAML
	fi
}

# start_portico NAME DSN CONFIG: migrates, starts `portico serve` and sets portico_pid.
start_portico() {
	local cfg="$work/$1.yml"
	write_config "$cfg" "$2" "$3"
	"$work/portico" migrate up -c "$cfg" >"$work/$1-migrate.log" 2>&1 || { cat "$work/$1-migrate.log" >&2; return 1; }
	"$work/portico" serve -c "$cfg" >"$work/$1.log" 2>&1 &
	portico_pid=$!
	pids+=("$portico_pid")
	wait_port "$public_port" && wait_port "$admin_port" || { cat "$work/$1.log" >&2; return 1; }
}

stop_pid() {
	kill "$1" 2>/dev/null || true
	wait "$1" 2>/dev/null || true
}

# start_floor starts the floor on a fresh SQLite file and sets floor_pid.
start_floor() {
	"$work/floor" -listen "127.0.0.1:$floor_port" -db "$work/floor-$1.db" >"$work/floor-$1.log" 2>&1 &
	floor_pid=$!
	pids+=("$floor_pid")
	wait_port "$floor_port" || { cat "$work/floor-$1.log" >&2; return 1; }
}

# run_backend NAME DSN TITLE CONFIG: one table, the floor measured in the same run.
run_backend() {
	log "$3: starting Portico and the floor"
	start_portico "$1" "$2" "$4"
	start_floor "$1"
	log "$3: running scenarios ($duration each, $concurrency clients)"
	local sel=$scenarios
	if [ "$sel" != all ]; then sel="$sel,floor"; fi
	# PostgreSQL's backends show "postgres: USER DATABASE HOST(PORT) STATE": their CPU per
	# request is reported beside Portico's.
	local db_process=
	if [[ $2 =~ ^postgres(ql)?://([^:@/]+)(:[^@]*)?@[^/]*/([^?]+) ]]; then
		db_process="postgres: ${BASH_REMATCH[2]} ${BASH_REMATCH[4]} "
	fi
	"$work/load" -public "http://127.0.0.1:$public_port" -admin "http://127.0.0.1:$admin_port" \
		-floor "http://127.0.0.1:$floor_port" -pid "$portico_pid" -floor-pid "$floor_pid" -db-process "$db_process" \
		-duration "$duration" -concurrency "$concurrency" -identities "$identities" -scenarios "$sel" \
		-hash "bcrypt cost $cost" -title "$3" >"$work/$1.md"
	stop_pid "$portico_pid"
	stop_pid "$floor_pid"
	if [ -s "$work/$1.log" ]; then
		log "$3: Portico logged warnings (first lines):"
		head -n 5 "$work/$1.log" >&2
	fi
}

IFS=, read -r -a config_list <<<"$configs"
for c in "${config_list[@]}"; do config_title "$c" >/dev/null; done
names=()
for c in "${config_list[@]}"; do
	sqlite_title="Portico on SQLite, $(config_title "$c")"
	sqlite_dsn="sqlite://$work/portico-$c.db"
	if [ -n "$sqlite_params" ]; then
		sqlite_dsn="$sqlite_dsn?$sqlite_params"
		sqlite_title="$sqlite_title, DSN parameters $sqlite_params"
	fi
	run_backend "sqlite-$c" "$sqlite_dsn" "$sqlite_title" "$c"
	names+=("sqlite-$c")
	if [ -n "$pg_dsn" ]; then
		run_backend "postgres-$c" "$pg_dsn" "Portico on PostgreSQL, $(config_title "$c")" "$c"
		names+=("postgres-$c")
	fi
done

mkdir -p "$(dirname "$out")"
{
	echo "# Portico load results, $(date -u '+%Y-%m-%d %H:%M UTC')"
	echo
	echo "Commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown); $(go version | cut -d' ' -f3-4);" \
		"$(nproc 2>/dev/null || echo '?') CPUs; load generator on the same machine."
	echo "Load average (1, 5, 15 min) at the start: $load_start; at the end: $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown)."
	echo "Ratios are to bench/floor (one indexed session read, one flow insert, a ~6 KB JSON reply) measured in the same run."
	echo "Kratos on the same kind of machine (issue 7): settings AJAX ≈ 160 req/s, p99 ≈ 200 ms; whoami ≈ 1,200–1,700 req/s; ≈ 115 MB RSS."
	for n in "${names[@]}"; do
		echo
		cat "$work/$n.md"
	done
} >"$out"
log "wrote $out"
cat "$out"
