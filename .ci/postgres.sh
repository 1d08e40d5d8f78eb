#!/usr/bin/env bash
# Starts a throwaway PostgreSQL cluster for the tests and prints `export COMBIPAT_TEST_POSTGRES=…`.
# Installs the Debian packages when the server binaries are missing. The cluster lives in a
# temp dir, listens on 127.0.0.1 only, and runs as an unprivileged user (initdb refuses root).
# Usage: eval "$(bash .ci/postgres.sh start)"   …   bash .ci/postgres.sh stop "$DIR"
set -euo pipefail

find_bin() {
    local dir
    for dir in /usr/lib/postgresql/*/bin; do
        [ -x "$dir/initdb" ] && echo "$dir"
    done | sort -V | tail -1
}

as_owner() {
    # Run a server command as the cluster owner: ourselves, or `postgres` when we are root.
    if [ "$(id -u)" = 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

case "${1:-start}" in
start)
    bin="$(find_bin)"
    if [ -z "$bin" ]; then
        echo "postgres.sh: installing PostgreSQL from the Debian packages" >&2
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq >&2
        apt-get install -y -qq postgresql >&2
        bin="$(find_bin)"
    fi
    [ -n "$bin" ] || { echo "postgres.sh: no initdb after installing postgresql" >&2; exit 1; }
    if [ "$(id -u)" = 0 ] && ! id postgres >/dev/null 2>&1; then
        useradd --system --home-dir /nonexistent --shell /usr/sbin/nologin postgres
    fi
    dir="$(mktemp -d /tmp/combipat-pg.XXXXXX)"
    chmod 0755 "$dir"
    [ "$(id -u)" = 0 ] && chown postgres "$dir"
    port="${PGPORT_CI:-$(( 20000 + RANDOM % 20000 ))}"
    as_owner "$bin/initdb" -D "$dir/data" -U combipat -A trust -E UTF8 --locale=C.UTF-8 >/dev/null
    as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
        -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c max_connections=300 -c fsync=on" \
        start >/dev/null || { cat "$dir/server.log" >&2; exit 1; }
    echo "export COMBIPAT_TEST_POSTGRES=postgres://combipat@127.0.0.1:$port/postgres"
    echo "export COMBIPAT_TEST_POSTGRES_DIR=$dir"
    ;;
stop)
    dir="${2:?usage: postgres.sh stop DIR}"
    bin="$(find_bin)"
    as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
    rm -rf "$dir"
    ;;
*)
    echo "usage: postgres.sh start | stop DIR" >&2
    exit 2
    ;;
esac
