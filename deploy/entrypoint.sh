#!/bin/sh
# mlgov's container entrypoint: the first argument names the process.
#
#   web        gunicorn with the project's gunicorn.conf.py, on $PORT (8000)
#   worker     manage.py deliver_webhooks (runs until SIGTERM)
#   scheduler  manage.py run_scheduler (the periodic jobs, locked in Redis)
#   migrate    manage.py migrate --noinput (a one-shot job before web starts)
#   manage …   any manage.py command, e.g. `manage issue_token ci --role deployer`
#
# Every setting comes from the environment (mlgov/settings.py, .env.example).
# exec: the process replaces this shell, so it receives the orchestrator's
# SIGTERM itself and drains (gunicorn) or stops after its current item.
set -eu
# /app in the image; the checkout's root when run from one (the tests).
cd "$(dirname "$0")/.."

usage() {
    echo "usage: entrypoint.sh web|worker|scheduler|migrate|manage <command> [args…]" >&2
}

if [ "$#" -eq 0 ]; then
    set -- web
fi
command=$1
shift

case "$command" in
    web)
        exec gunicorn --config gunicorn.conf.py "$@" mlgov.wsgi
        ;;
    worker)
        exec python3 manage.py deliver_webhooks "$@"
        ;;
    scheduler)
        exec python3 manage.py run_scheduler "$@"
        ;;
    migrate)
        exec python3 manage.py migrate --noinput "$@"
        ;;
    manage)
        if [ "$#" -eq 0 ]; then
            usage
            exit 64
        fi
        exec python3 manage.py "$@"
        ;;
    -h | --help | help)
        usage
        ;;
    *)
        echo "entrypoint.sh: unknown command: $command" >&2
        usage
        exit 64
        ;;
esac
