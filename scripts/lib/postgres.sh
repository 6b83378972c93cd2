# Starts a throwaway PostgreSQL cluster on a free loopback port and stops it when the calling script exits.
# Sets PG_PORT, PG_DIR and PG_BIN. Installs the server from Debian's packages if it is missing.

find_postgres_bin() {
  local dir
  for dir in ${PG_BIN:-} /usr/lib/postgresql/*/bin; do
    if [ -n "$dir" ] && [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ]; then
      PG_BIN="$dir"
      return 0
    fi
  done
  return 1
}

ensure_postgres_installed() {
  find_postgres_bin && return 0
  if [ "$(id -u)" -ne 0 ]; then
    echo "error: PostgreSQL server binaries not found; install the 'postgresql' package" >&2
    exit 1
  fi
  echo "installing PostgreSQL from Debian's packages..." >&2
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
  find_postgres_bin || { echo "error: PostgreSQL installed but initdb not found" >&2; exit 1; }
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

PG_DIRS=()

stop_all_throwaway_postgres() {
  local dir
  for dir in "${PG_DIRS[@]}"; do
    if [ -d "$dir" ]; then
      run_as_postgres "$PG_BIN/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
      rm -rf "$dir"
    fi
  done
}

# PostgreSQL refuses to run as root, so as root it runs as the 'postgres' system user.
run_as_postgres() {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

start_throwaway_postgres() {
  ensure_postgres_installed
  PG_PORT="${PG_PORT:-$(free_port)}"
  PG_DIR="$(mktemp -d /tmp/booking-pg.XXXXXX)"
  PG_DIRS+=("$PG_DIR")
  trap stop_all_throwaway_postgres EXIT
  if [ "$(id -u)" -eq 0 ]; then chown postgres "$PG_DIR"; fi
  run_as_postgres "$PG_BIN/initdb" -D "$PG_DIR/data" -U postgres --auth=trust -E UTF8 >/dev/null
  # Durability is pointless for a throwaway cluster; turning it off makes each test's database cheap.
  # The Swift suite runs its tests at once, each with pools of its own: 300 connections were not enough
  # (a test then saw 503s from "too many clients"), so there is room for a thousand.
  local options="-c listen_addresses=127.0.0.1 -p $PG_PORT -k $PG_DIR -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=1000"
  if ! run_as_postgres "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/log" -w -t 30 -o "$options" start >/dev/null; then
    echo "error: the throwaway PostgreSQL did not start; its log follows" >&2
    cat "$PG_DIR/log" >&2 || true
    exit 1
  fi
  # A small script that stops, starts or restarts this cluster, for tests and tools that pull the plug.
  cat > "$PG_DIR/ctl" <<CTL
#!/usr/bin/env bash
set -e
cmd="\$1"; shift
if [ "\$(id -u)" -eq 0 ]; then run=(runuser -u postgres --); else run=(); fi
case "\$cmd" in
  stop) "\${run[@]}" "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m fast -w stop ;;
  start|restart) "\${run[@]}" "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/log" -w -t 30 \\
      -o "$options" "\$cmd" "\$@" ;;
  *) echo "usage: ctl stop|start|restart" >&2; exit 2 ;;
esac
CTL
  chmod +x "$PG_DIR/ctl"
  PG_CTL_SCRIPT="$PG_DIR/ctl"
}
