# scripts/lib/postgres.sh — sourced by the ci-*.sh scripts that need a real PostgreSQL.
#
# pg_start DIR  finds the installed PostgreSQL (`initdb`/`pg_ctl` on PATH or /usr/local/bin, or
#               /usr/lib/postgresql/*/bin; as root on Debian without one: apt-get install -y
#               postgresql), initdb's a private cluster under DIR, starts it on a free loopback
#               port and exports STREAMPARK_IT_POSTGRES_URL. Exits the script on failure.
# pg_stop       stops that server; a no-op when pg_start did not start one. Call it from the
#               script's EXIT trap.
# PostgreSQL refuses to run as root: when we are root it runs as the `postgres` user.

_SP_PG_DIR=""
_SP_PG_BIN=""

_sp_pg_say() { printf 'postgres: %s\n' "$*" >&2; }

_sp_pg_free_port() {
  python3 -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

_sp_pg_find() {
  local d
  for d in "$(dirname "$(command -v initdb 2>/dev/null || echo /nonexistent/x)")" /usr/local/bin /usr/lib/postgresql/*/bin; do
    [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] && { echo "$d"; return 0; }
  done
  return 1
}

_sp_pg_run() {
  if [ "$(id -u)" = 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

pg_start() {
  local dir="$1" port
  if ! _SP_PG_BIN="$(_sp_pg_find)"; then
    if command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
      _sp_pg_say "installing PostgreSQL"
      apt-get install -y postgresql >/dev/null
      _SP_PG_BIN="$(_sp_pg_find)" || { _sp_pg_say "no initdb after installing postgresql"; exit 1; }
    else
      _sp_pg_say "PostgreSQL not found (install postgresql)"; exit 1
    fi
  fi
  port="$(_sp_pg_free_port)"
  mkdir -p "$dir/pg" "$dir/sock"
  if [ "$(id -u)" = 0 ]; then chown -R postgres "$dir" && chmod 755 "$dir"; fi
  _sp_pg_run "$_SP_PG_BIN/initdb" -D "$dir/pg" -U postgres --auth=trust -E UTF8 >"$dir/initdb.log" 2>&1 \
    || { cat "$dir/initdb.log" >&2; exit 1; }
  _sp_pg_run "$_SP_PG_BIN/pg_ctl" -D "$dir/pg" -l "$dir/pg.log" -w -t 60 \
    -o "-p $port -k $dir/sock -c listen_addresses=127.0.0.1" start >/dev/null \
    || { cat "$dir/pg.log" >&2; exit 1; }
  _SP_PG_DIR="$dir"
  export STREAMPARK_IT_POSTGRES_URL="postgres://postgres@127.0.0.1:$port/postgres"
  _sp_pg_say "on 127.0.0.1:$port"
}

pg_stop() {
  [ -n "$_SP_PG_DIR" ] || return 0
  _sp_pg_run "$_SP_PG_BIN/pg_ctl" -D "$_SP_PG_DIR/pg" -m immediate stop >/dev/null 2>&1 || true
  _SP_PG_DIR=""
}
