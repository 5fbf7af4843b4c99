#!/usr/bin/env bash
# Make sure the PostgreSQL and Redis that the tests use are up. Starts the local servers if they are
# installed but stopped; says clearly which servers the run uses.
set -euo pipefail

db_url="${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/vpp}"
redis_url="${REDIS_URL:-redis://127.0.0.1:6379/0}"

hostport() {  # scheme://[user@]host:port/... -> "host port"
  local rest="${1#*://}"; rest="${rest#*@}"; rest="${rest%%/*}"
  echo "${rest%%:*} ${rest##*:}"
}

read -r db_host db_port < <(hostport "$db_url")
if ! pg_isready -q -h "$db_host" -p "$db_port" 2>/dev/null; then
  if [[ "$db_host" =~ ^(127\.0\.0\.1|localhost)$ ]] && command -v pg_ctlcluster >/dev/null; then
    echo "PostgreSQL not answering on $db_host:$db_port: starting the local cluster"
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
    for _ in $(seq 1 30); do pg_isready -q -h "$db_host" -p "$db_port" && break; sleep 1; done
  fi
fi
pg_isready -q -h "$db_host" -p "$db_port" || { echo "PostgreSQL is not reachable at $db_host:$db_port" >&2; exit 1; }

read -r r_host r_port < <(hostport "$redis_url")
if ! redis-cli -h "$r_host" -p "$r_port" ping >/dev/null 2>&1; then
  if [[ "$r_host" =~ ^(127\.0\.0\.1|localhost)$ ]] && command -v redis-server >/dev/null; then
    echo "Redis not answering on $r_host:$r_port: starting a local server"
    mkdir -p /var/lib/redis /var/log/redis
    redis-server --daemonize yes --bind 127.0.0.1 -::1 --port "$r_port" --save "" --appendonly no \
      --dir /var/lib/redis --logfile /var/log/redis/ci.log
    for _ in $(seq 1 30); do redis-cli -h "$r_host" -p "$r_port" ping >/dev/null 2>&1 && break; sleep 1; done
  fi
fi
redis-cli -h "$r_host" -p "$r_port" ping >/dev/null || { echo "Redis is not reachable at $r_host:$r_port" >&2; exit 1; }

echo "Tests use PostgreSQL at $db_host:$db_port ($(psql -h "$db_host" -p "$db_port" -U postgres -tAc 'SHOW server_version' 2>/dev/null || echo '?')) and Redis at $r_host:$r_port ($(redis-cli -h "$r_host" -p "$r_port" info server | grep -m1 redis_version | tr -d '\r'))"
