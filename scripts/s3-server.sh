# Sourced by scripts/test.sh and scripts/bench.sh: installs moto[server] (PyPI) into a virtualenv
# under target/ when missing, starts it on a free port, stops it when the calling script exits, and
# exports LTTEST_S3 (the endpoint the tests and benchmarks create their buckets on).
source scripts/on-exit.sh
MOTO=target/moto-venv
if [ ! -x "$MOTO/bin/moto_server" ]; then
  echo "installing moto[server] (PyPI) into $MOTO"
  python3 -m venv "$MOTO"
  "$MOTO/bin/pip" install --quiet --disable-pip-version-check "moto[server]==5.1.0"
fi
S3_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$MOTO/bin/moto_server" -H 127.0.0.1 -p "$S3_PORT" >target/moto.log 2>&1 &
MOTO_PID=$!
lt_on_exit "kill $MOTO_PID 2>/dev/null || true"
for _ in $(seq 1 100); do
  if python3 -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$S3_PORT/')" 2>/dev/null; then break; fi
  sleep 0.1
done
export LTTEST_S3="http://127.0.0.1:$S3_PORT"
