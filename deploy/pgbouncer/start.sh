#!/bin/sh
# The one user's password comes from the environment, into a file only this
# user reads, then PgBouncer replaces the shell (it gets SIGTERM itself).
set -eu
umask 077
printf '"%s" "%s"\n' "$PGBOUNCER_USER" "$PGBOUNCER_PASSWORD" > /tmp/userlist.txt
exec pgbouncer /etc/pgbouncer/pgbouncer.ini
