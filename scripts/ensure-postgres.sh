#!/usr/bin/env bash
# Make sure the PostgreSQL server the tests use answers (TEST_POSTGRES_URL, by
# default this machine's server at 127.0.0.1:5432). Starts the local Debian
# cluster when it is installed but stopped; otherwise says what is missing.
set -euo pipefail

host=127.0.0.1 port=5432
if [[ -n "${TEST_POSTGRES_URL:-}" ]]; then
  # postgresql://user@host:port/db -> host, port
  rest=${TEST_POSTGRES_URL#*://}; rest=${rest#*@}; hostport=${rest%%/*}
  host=${hostport%%:*}; [[ "$hostport" == *:* ]] && port=${hostport##*:}
fi

ready() {
  if command -v pg_isready >/dev/null; then pg_isready -q -h "$host" -p "$port"
  else python3 -c "import socket,sys; socket.create_connection(('$host', $port), 2)" 2>/dev/null; fi
}

ready && exit 0
if [[ "$host" == 127.0.0.1 || "$host" == localhost ]] && command -v pg_ctlcluster >/dev/null; then
  for version in /etc/postgresql/*; do
    echo "starting PostgreSQL cluster $(basename "$version")/main" >&2
    pg_ctlcluster --skip-systemctl-redirect "$(basename "$version")" main start || true
  done
  for _ in $(seq 1 30); do ready && exit 0; sleep 1; done
fi
echo "error: no PostgreSQL answers at $host:$port; start one or set TEST_POSTGRES_URL" >&2
exit 1
