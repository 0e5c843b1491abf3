#!/bin/sh
# The stand-in's start: a new cluster on first start (the superuser's password from
# POSTGRES_PASSWORD_FILE, password authentication over the network), then the server.
set -eu
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  if [ ! -s "${POSTGRES_PASSWORD_FILE:-}" ]; then
    echo "postgres: POSTGRES_PASSWORD_FILE names no file with the superuser's password" >&2
    exit 1
  fi
  initdb --username=postgres --pwfile="$POSTGRES_PASSWORD_FILE" --encoding=UTF8 \
    --locale=C.UTF-8 --auth-local=trust --auth-host=scram-sha-256 >/dev/null
  echo "host all all all scram-sha-256" >>"$PGDATA/pg_hba.conf"
fi
if [ "$1" = postgres ]; then
  shift
  exec postgres -c listen_addresses='*' "$@"
fi
exec "$@"
