#!/usr/bin/env bash
# Two mlgov instances behind HAProxy, on PgBouncer and one Redis, on loopback
# only: the horizontal-scaling setup of docs/operations.md, run from this
# checkout (no image needed).
#
#   scripts/cluster.sh up [--weights 50,50] [--workers 2] [--b-checkout DIR]
#   scripts/cluster.sh status
#   scripts/cluster.sh weights 95,5     # shift traffic at once (the canary knob)
#   scripts/cluster.sh restart a|b [--checkout DIR]
#                                       # drain, stop, start (from DIR: another
#                                       # release), wait ready, enable
#   scripts/cluster.sh down
#
# Ports are chosen free at run time; every process is started in its own
# session, its PID kept in the run directory, and stopped by that PID. The run
# directory (MLGOV_CLUSTER_DIR, default /tmp/mlgov-cluster-<checkout hash>)
# holds the configuration, logs, PIDs and `cluster.env`, which tests and
# operators source for the addresses.
#
# Environment: POSTGRES_URL (a server URL without database, default
# postgres://postgres@127.0.0.1:5432), CLUSTER_DATABASE (mlgov_cluster; it is
# dropped and recreated by `up`), CLUSTER_REDIS_URL (redis://127.0.0.1:6379/15),
# and any mlgov setting (RATELIMIT_API_READ, …), passed to both instances.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
REPO=$(pwd)

POSTGRES_URL=${POSTGRES_URL:-postgres://postgres@127.0.0.1:5432}
CLUSTER_DATABASE=${CLUSTER_DATABASE:-mlgov_cluster}
CLUSTER_REDIS_URL=${CLUSTER_REDIS_URL:-redis://127.0.0.1:6379/15}
RUN=${MLGOV_CLUSTER_DIR:-/tmp/mlgov-cluster-$(printf %s "$REPO" | sha256sum | cut -c1-10)}
PY=$REPO/.venv/bin/python
READY_TIMEOUT=${CLUSTER_READY_TIMEOUT:-180}

say() { echo "cluster: $*" >&2; }
die() {
    say "$*"
    exit 1
}

# ------------------------------------------------------------ packages

# Debian's HAProxy and PgBouncer. Their packages start system services where
# an init system lets them; this cluster runs its own, so any service the
# install started is stopped again, by the PID its pidfile names.
ensure_packages() {
    local missing=()
    [ -x /usr/sbin/haproxy ] || missing+=(haproxy)
    [ -x /usr/sbin/pgbouncer ] || missing+=(pgbouncer)
    [ ${#missing[@]} -eq 0 ] && return 0
    [ "$(id -u)" -eq 0 ] || die "missing ${missing[*]}: run as root, or apt-get install ${missing[*]}"
    say "installing ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
    local pidfile pid
    for pidfile in /run/haproxy.pid /run/postgresql/pgbouncer.pid /var/run/postgresql/pgbouncer.pid; do
        [ -f "$pidfile" ] || continue
        pid=$(head -1 "$pidfile")
        if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
            say "stopping the service the package started ($pidfile: $pid)"
            kill -TERM "$pid" || true
        fi
    done
}

# ------------------------------------------------------------ helpers

free_ports() {
    # Bound all at once, so the ports differ; released just before use.
    "$PY" - "$1" <<'EOF'
import socket, sys
probes = []
for _ in range(int(sys.argv[1])):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    probes.append(s)
print(" ".join(str(s.getsockname()[1]) for s in probes))
EOF
}

# One command to HAProxy's runtime API (its admin socket in the run directory).
haproxy_cmd() {
    "$PY" - "$RUN/haproxy.sock" "$1" <<'EOF'
import socket, sys
with socket.socket(socket.AF_UNIX) as s:
    s.settimeout(10)
    s.connect(sys.argv[1])
    s.sendall(sys.argv[2].encode() + b"\n")
    out = b""
    while chunk := s.recv(65536):
        out += chunk
sys.stdout.write(out.decode())
EOF
}

# name,status,current sessions,weight of each app server, one a line.
server_states() {
    haproxy_cmd "show stat" | awk -F, '$1 == "mlgov" && $2 != "BACKEND" { print $2 "," $18 "," $5 "," $19 }'
}

server_field() { # NAME FIELD(status|sessions|weight)
    local column
    case $2 in status) column=2 ;; sessions) column=3 ;; weight) column=4 ;; esac
    server_states | awk -F, -v n="$1" -v c="$column" '$1 == n { print $c }'
}

wait_until() { # DESCRIPTION COMMAND…: poll once a second up to READY_TIMEOUT
    local description=$1
    shift
    local waited=0
    until "$@" >/dev/null 2>&1; do
        waited=$((waited + 1))
        [ "$waited" -lt "$READY_TIMEOUT" ] || die "timed out after ${READY_TIMEOUT}s waiting for $description"
        sleep 1
    done
}

http_ok() { "$PY" -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=5)' "$1"; }

alive() { [ -f "$RUN/$1.pid" ] && kill -0 "$(cat "$RUN/$1.pid")" 2>/dev/null; }

stop_pid() { # NAME: TERM, wait for a graceful exit, KILL only past the deadline
    local name=$1 pid waited=0
    [ -f "$RUN/$name.pid" ] || return 0
    pid=$(cat "$RUN/$name.pid")
    if kill -0 "$pid" 2>/dev/null; then
        kill -TERM "$pid" 2>/dev/null || true
        while kill -0 "$pid" 2>/dev/null; do
            waited=$((waited + 1))
            if [ "$waited" -gt 60 ]; then
                say "$name ($pid) ignored TERM for 60 s; killing its process group"
                kill -KILL -- "-$pid" 2>/dev/null || true
                break
            fi
            sleep 0.5
        done
    fi
    rm -f "$RUN/$name.pid"
}

# ------------------------------------------------------------ the processes

app_env() { # NAME PORT: the environment of one instance (and of manage.py)
    cat <<EOF
DATABASE_URL=postgres://postgres@127.0.0.1:$PGBOUNCER_PORT/$CLUSTER_DATABASE
DATABASE_PREPARED_STATEMENTS=${DATABASE_PREPARED_STATEMENTS:-false}
REDIS_URL=$CLUSTER_REDIS_URL
CACHE_KEY_PREFIX=$CLUSTER_DATABASE
DEBUG=false
GUNICORN_BIND=127.0.0.1:$2
GUNICORN_WORKERS=${CLUSTER_WORKERS:-2}
PROMETHEUS_MULTIPROC_DIR=$RUN/metrics-$1
WEBHOOK_ALLOWED_NETWORKS=${WEBHOOK_ALLOWED_NETWORKS:-127.0.0.0/8}
LOG_LEVEL=${LOG_LEVEL:-WARNING}
EOF
}

start_instance() { # NAME
    local name=$1 port checkout
    port=$(grep "^${name^^}_PORT=" "$RUN/cluster.env" | cut -d= -f2)
    checkout=$(grep "^${name^^}_CHECKOUT=" "$RUN/cluster.env" | cut -d= -f2)
    # shellcheck disable=SC1090
    source "$RUN/cluster.env"
    # shellcheck disable=SC1091
    source "$RUN/settings.env"
    mkdir -p "$RUN/metrics-$name"
    (
        cd "$checkout"
        set -a
        # shellcheck disable=SC1090
        source <(app_env "$name" "$port")
        set +a
        exec setsid "$checkout/.venv/bin/gunicorn" mlgov.wsgi -c gunicorn.conf.py \
            >>"$RUN/$name.log" 2>&1 </dev/null
    ) &
    echo $! >"$RUN/$name.pid"
    wait_until "instance $name on :$port/readyz" http_ok "http://127.0.0.1:$port/readyz"
}

write_pgbouncer_config() {
    mkdir -p "$RUN/pgbouncer"
    cat >"$RUN/pgbouncer/userlist.txt" <<EOF
"postgres" ""
EOF
    # Transaction pooling: a server connection is lent for one transaction.
    # It keeps no session state between them, so no prepared statements
    # (1.18 cannot track them) and no LISTEN: the webhook workers use the
    # session-pooled alias.
    cat >"$RUN/pgbouncer/pgbouncer.ini" <<EOF
[databases]
$CLUSTER_DATABASE = host=$PG_HOST port=$PG_PORT dbname=$CLUSTER_DATABASE user=postgres
${CLUSTER_DATABASE}_session = host=$PG_HOST port=$PG_PORT dbname=$CLUSTER_DATABASE user=postgres pool_mode=session

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $PGBOUNCER_PORT
unix_socket_dir =
auth_type = trust
auth_file = $RUN/pgbouncer/userlist.txt
pool_mode = transaction
default_pool_size = 20
max_client_conn = 200
; Django asks for statement_timeout in the startup packet (options); 1.18
; refuses that parameter, so it is ignored here and set on the database.
ignore_startup_parameters = extra_float_digits,options
logfile = $RUN/pgbouncer/pgbouncer.log
admin_users = postgres
log_connections = 0
log_disconnections = 0
EOF
    if [ "$(id -u)" -eq 0 ]; then
        # PgBouncer refuses to run as root.
        echo "user = postgres" >>"$RUN/pgbouncer/pgbouncer.ini"
        chown -R postgres "$RUN/pgbouncer"
    fi
}

write_haproxy_config() { # WEIGHT_A WEIGHT_B
    cat >"$RUN/haproxy.cfg" <<EOF
global
    stats socket $RUN/haproxy.sock mode 600 level admin
    maxconn 1000

defaults
    mode http
    log global
    timeout connect 2s
    timeout client 60s
    timeout server 60s
    timeout http-request 10s
    # A request that cannot reach its server (refused, reset before an
    # answer) is tried again, on the other server (redispatch), up to 3 times.
    retries 3
    option redispatch 1
    retry-on conn-failure empty-response response-timeout
    option http-server-close

frontend mlgov_front
    bind 127.0.0.1:$FRONT_PORT
    default_backend mlgov

backend mlgov
    balance roundrobin
    # Only a read may be sent twice: a write whose answer was lost may have
    # happened, so it is retried only when the connection failed.
    http-request disable-l7-retry if !METH_GET !METH_OPTIONS
    option httpchk
    http-check send meth GET uri /readyz
    http-check expect status 200
    # Tolerant of a loaded host: a probe may take up to 5 s, and an instance
    # is taken out after 3 failed probes in a row (about 6 s), back after 2.
    timeout check 5s
    default-server inter 2s fall 3 rise 2
    # Which instance answered (the weights test and operators read it).
    http-response set-header X-Served-By %s
    server a 127.0.0.1:$A_PORT weight $1 check
    server b 127.0.0.1:$B_PORT weight $2 check
EOF
    /usr/sbin/haproxy -c -q -f "$RUN/haproxy.cfg"
}

parse_weights() { # "95,5" -> WEIGHT_A=95 WEIGHT_B=5, refusing anything else
    [[ $1 =~ ^([0-9]{1,3}),([0-9]{1,3})$ ]] || die "weights must look like 95,5 (got '$1')"
    WEIGHT_A=$((10#${BASH_REMATCH[1]}))
    WEIGHT_B=$((10#${BASH_REMATCH[2]}))
    [ "$WEIGHT_A" -le 256 ] && [ "$WEIGHT_B" -le 256 ] && [ $((WEIGHT_A + WEIGHT_B)) -gt 0 ] \
        || die "weights are 0-256 each, not both 0 (got '$1')"
}

# ------------------------------------------------------------ commands

cmd_up() {
    local weights="50,50" b_checkout=$REPO
    while [ $# -gt 0 ]; do
        case $1 in
            --weights) weights=$2; shift 2 ;;
            --workers) CLUSTER_WORKERS=$2; shift 2 ;;
            --b-checkout) b_checkout=$(cd "$2" && pwd); shift 2 ;;
            *) die "unknown option $1" ;;
        esac
    done
    parse_weights "$weights"
    if [ -f "$RUN/cluster.env" ] && { alive haproxy || alive a || alive b || alive pgbouncer; }; then
        die "already up (run dir $RUN); run down first"
    fi
    ensure_packages
    [ -x "$PY" ] || die "no .venv: run scripts/test.sh or scripts/run.sh once first"
    rm -rf "$RUN"
    mkdir -p "$RUN"
    chmod 755 "$RUN"

    read -r FRONT_PORT A_PORT B_PORT PGBOUNCER_PORT <<<"$(free_ports 4)"
    PG_HOST=$("$PY" -c 'import sys, urllib.parse as u; print(u.urlsplit(sys.argv[1]).hostname)' "$POSTGRES_URL")
    PG_PORT=$("$PY" -c 'import sys, urllib.parse as u; print(u.urlsplit(sys.argv[1]).port or 5432)' "$POSTGRES_URL")
    cat >"$RUN/cluster.env" <<EOF
CLUSTER_URL=http://127.0.0.1:$FRONT_PORT
FRONT_PORT=$FRONT_PORT
A_PORT=$A_PORT
B_PORT=$B_PORT
A_CHECKOUT=$REPO
B_CHECKOUT=$b_checkout
PGBOUNCER_PORT=$PGBOUNCER_PORT
PG_HOST=$PG_HOST
PG_PORT=$PG_PORT
CLUSTER_DATABASE=$CLUSTER_DATABASE
CLUSTER_WORKERS=${CLUSTER_WORKERS:-2}
BOUNCER_DATABASE_URL=postgres://postgres@127.0.0.1:$PGBOUNCER_PORT/$CLUSTER_DATABASE
SESSION_DATABASE_URL=postgres://postgres@127.0.0.1:$PGBOUNCER_PORT/${CLUSTER_DATABASE}_session
DIRECT_DATABASE_URL=$POSTGRES_URL/$CLUSTER_DATABASE
REDIS_URL=$CLUSTER_REDIS_URL
CLUSTER_REDIS_URL=$CLUSTER_REDIS_URL
EOF
    # The mlgov settings given to `up` (rate limits, pool sizes, …), kept so
    # that a restarted instance runs with the same ones.
    export -p | grep -E '^declare -x (RATELIMIT|WEBHOOK|GUNICORN|DATABASE|API|CACHE|DEPLOYMENT|LOG_LEVEL|SECRET_KEY|MLGOV)[A-Z_]*=' \
        | grep -v -E '^declare -x (DATABASE_URL|GUNICORN_BIND|MLGOV_CLUSTER_DIR)=' >"$RUN/settings.env" || true

    say "database $CLUSTER_DATABASE (fresh), Redis $CLUSTER_REDIS_URL (keys $CLUSTER_DATABASE:*)"
    PGOPTIONS="-c client_min_messages=warning" psql -q -v ON_ERROR_STOP=1 "$POSTGRES_URL/postgres" <<EOF >/dev/null
DROP DATABASE IF EXISTS "$CLUSTER_DATABASE" WITH (FORCE);
CREATE DATABASE "$CLUSTER_DATABASE";
-- What Django asks for per session, which PgBouncer cannot pass on.
ALTER DATABASE "$CLUSTER_DATABASE" SET statement_timeout = '${DATABASE_STATEMENT_TIMEOUT_MS:-20000}';
EOF
    "$PY" - "$CLUSTER_REDIS_URL" "$CLUSTER_DATABASE" <<'EOF'
import sys, redis
client = redis.Redis.from_url(sys.argv[1])
for key in client.scan_iter(match=f"{sys.argv[2]}:*", count=1000):
    client.delete(key)
EOF
    (
        set -a
        # shellcheck disable=SC1090
        source <(app_env migrate 0)
        set +a
        export DATABASE_URL=$POSTGRES_URL/$CLUSTER_DATABASE
        "$PY" manage.py migrate --noinput --verbosity 0
    ) >"$RUN/migrate.log" 2>&1 || die "migrate failed: $(tail -20 "$RUN/migrate.log")"

    write_pgbouncer_config
    setsid /usr/sbin/pgbouncer "$RUN/pgbouncer/pgbouncer.ini" >>"$RUN/pgbouncer.out" 2>&1 </dev/null &
    echo $! >"$RUN/pgbouncer.pid"
    wait_until "PgBouncer on :$PGBOUNCER_PORT" \
        psql -q -Atc "select 1" "postgres://postgres@127.0.0.1:$PGBOUNCER_PORT/$CLUSTER_DATABASE"

    start_instance a
    start_instance b

    write_haproxy_config "$WEIGHT_A" "$WEIGHT_B"
    setsid /usr/sbin/haproxy -db -f "$RUN/haproxy.cfg" >>"$RUN/haproxy.log" 2>&1 </dev/null &
    echo $! >"$RUN/haproxy.pid"
    both_up() { [ "$(server_field a status)" = UP ] && [ "$(server_field b status)" = UP ]; }
    wait_until "HAProxy to see both instances UP" both_up
    say "up: http://127.0.0.1:$FRONT_PORT (a :$A_PORT weight $WEIGHT_A, b :$B_PORT weight $WEIGHT_B, PgBouncer :$PGBOUNCER_PORT); run dir $RUN"
}

cmd_down() {
    [ -d "$RUN" ] || { say "not up (no $RUN)"; return 0; }
    # The balancer first, so no request reaches an instance that is stopping.
    local name
    for name in haproxy a b pgbouncer; do
        stop_pid "$name"
    done
    say "down (logs kept in $RUN)"
}

cmd_status() {
    [ -f "$RUN/cluster.env" ] || { say "not up"; return 1; }
    local name state=0
    for name in haproxy a b pgbouncer; do
        if alive "$name"; then
            echo "$name: running (pid $(cat "$RUN/$name.pid"))"
        else
            echo "$name: stopped"
            state=1
        fi
    done
    if alive haproxy; then
        echo "balancer: $(grep ^CLUSTER_URL= "$RUN/cluster.env" | cut -d= -f2)"
        server_states | awk -F, '{ printf "  %s: %s, weight %s, %s in flight\n", $1, $2, $4, $3 }'
    fi
    echo "run dir: $RUN"
    return "$state"
}

cmd_weights() {
    parse_weights "${1:-}"
    alive haproxy || die "not up"
    local name weight answer
    for name in a b; do
        weight=WEIGHT_${name^^}
        answer=$(haproxy_cmd "set server mlgov/$name weight ${!weight}")
        [ -z "${answer//[[:space:]]/}" ] || die "HAProxy refused weight ${!weight} for $name: $answer"
    done
    say "weights a=$WEIGHT_A b=$WEIGHT_B"
}

cmd_restart() { # a rolling restart of one instance, losing no request
    local name=${1:-} checkout=
    [[ $name =~ ^[ab]$ ]] || die "restart a|b [--checkout DIR]"
    if [ "${2:-}" = --checkout ]; then
        checkout=$(cd "${3:?--checkout needs a directory}" && pwd)
        [ -x "$checkout/.venv/bin/gunicorn" ] && [ -f "$checkout/gunicorn.conf.py" ] \
            || die "$checkout is not an mlgov checkout with a .venv"
    fi
    alive haproxy || die "not up"
    # Drain: HAProxy sends it nothing new, and the requests it holds finish.
    haproxy_cmd "set server mlgov/$name state maint" >/dev/null
    drained() { [ "$(server_field "$name" sessions)" = 0 ]; }
    wait_until "instance $name to drain" drained
    stop_pid "$name"
    if [ -n "$checkout" ]; then
        # The release this instance runs from now on (the canary's, or back).
        sed -i "s|^${name^^}_CHECKOUT=.*|${name^^}_CHECKOUT=$checkout|" "$RUN/cluster.env"
    fi
    start_instance "$name"
    haproxy_cmd "set server mlgov/$name state ready" >/dev/null
    is_up() { [ "$(server_field "$name" status)" = UP ]; }
    wait_until "HAProxy to see $name UP" is_up
    say "restarted $name (from $(grep "^${name^^}_CHECKOUT=" "$RUN/cluster.env" | cut -d= -f2))"
}

case ${1:-} in
    up) shift; cmd_up "$@" ;;
    down) cmd_down ;;
    status) cmd_status ;;
    weights) cmd_weights "${2:-}" ;;
    restart) shift; cmd_restart "$@" ;;
    install) ensure_packages ;;
    *) die "usage: $0 up [--weights A,B] [--workers N] [--b-checkout DIR] | down | status | weights A,B | restart a|b [--checkout DIR] | install" ;;
esac
