# Sourced by scripts/test.sh and scripts/bench.sh: makes sure a PostgreSQL server answers for the
# tests. `LTTEST_PG` (postgres://USER@HOST:PORT) names one; otherwise the machine's server at
# 127.0.0.1:5432 is used when it answers. When none does, this installs Debian's `postgresql`
# package if its binaries are missing, creates a private cluster in a temporary directory (initdb,
# trust auth), starts it on a free port, exports LTTEST_PG, and stops and removes it on exit.
source scripts/on-exit.sh

lt_pg_answers() { # HOST PORT
  python3 - "$1" "$2" <<'PY'
import socket, struct, sys
# A PostgreSQL SSLRequest: any server answers it with one byte ('S' or 'N').
try:
    s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=2)
    s.sendall(struct.pack("!ii", 8, 80877103))
    sys.exit(0 if s.recv(1) in (b"S", b"N") else 1)
except OSError:
    sys.exit(1)
PY
}

lt_pg_bin() { # NAME: the newest installed server version's binary
  ls -d /usr/lib/postgresql/*/bin/"$1" 2>/dev/null | sort -V | tail -n 1
}

if [ -z "${LTTEST_PG:-}" ]; then
  if lt_pg_answers 127.0.0.1 5432; then
    export LTTEST_PG="postgres://postgres@127.0.0.1:5432"
  else
    echo "no PostgreSQL answers at 127.0.0.1:5432: starting a private server for the tests"
    if [ -z "$(lt_pg_bin initdb)" ]; then
      echo "installing postgresql (Debian package)"
      SUDO=""
      if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
      $SUDO apt-get update -qq
      DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq postgresql >/dev/null
    fi
    LT_PG_DIR=$(mktemp -d /tmp/lienthong-pg.XXXXXX)
    LT_PG_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    LT_PG_AS=()
    if [ "$(id -u)" -eq 0 ]; then
      chown postgres "$LT_PG_DIR"
      LT_PG_AS=(runuser -u postgres --)
    fi
    "${LT_PG_AS[@]}" "$(lt_pg_bin initdb)" -D "$LT_PG_DIR/data" -U postgres --auth=trust -E UTF8 >/dev/null
    "${LT_PG_AS[@]}" "$(lt_pg_bin pg_ctl)" start -D "$LT_PG_DIR/data" -l "$LT_PG_DIR/pg.log" -w \
      -o "-p $LT_PG_PORT -k $LT_PG_DIR -c listen_addresses=127.0.0.1" >/dev/null
    lt_on_exit "${LT_PG_AS[*]} $(lt_pg_bin pg_ctl) stop -D $LT_PG_DIR/data -m fast >/dev/null 2>&1; rm -rf $LT_PG_DIR"
    export LTTEST_PG="postgres://postgres@127.0.0.1:$LT_PG_PORT"
  fi
fi
if ! lt_pg_answers "$(echo "$LTTEST_PG" | sed -E 's|.*@([^:/]+).*|\1|')" "$(echo "$LTTEST_PG" | sed -E 's|.*:([0-9]+).*|\1|')"; then
  echo "PostgreSQL at $LTTEST_PG does not answer" >&2
  exit 1
fi
echo "PostgreSQL for the tests: $LTTEST_PG"
