#!/usr/bin/env bash
# Runs the whole test suite: unit and property tests, the adapters' conformance kits, and the
# black-box tests that start the gateway and the simulators on free ports over real HTTP
# (including the SIGKILL/restart test, which runs the real `lienthong` binary, the deadline tests
# with a real SMTP server and SMS simulator, and the web tests in headless Chromium); then the
# black-box suites again on PostgreSQL (the machine's server, a fresh database per test) with
# attachments in an S3 bucket (a local moto server this script starts).
set -euo pipefail
cd "$(dirname "$0")/.."

# The browser tests drive Debian's Chromium through chromedriver; install both when missing.
if ! command -v chromedriver >/dev/null || ! command -v chromium >/dev/null; then
  echo "installing chromium and chromium-driver (Debian packages) for the browser tests"
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium chromium-driver >/dev/null
fi

# The contract test runs schemathesis (from PyPI) against a live gateway: a virtualenv under
# target/ holds it (rebuilt when missing).
VENV=target/schemathesis-venv
if [ ! -x "$VENV/bin/schemathesis" ]; then
  echo "installing schemathesis (PyPI) into $VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "schemathesis==4.32.5"
fi
export SCHEMATHESIS="$PWD/$VENV/bin/schemathesis"

# The S3-compatible server for the PostgreSQL + S3 runs (stopped when this script exits).
source scripts/s3-server.sh
# A PostgreSQL server: the machine's, or a private one started here (stopped on exit).
source scripts/postgres-server.sh

cargo test --workspace --locked

echo "the black-box suites again on PostgreSQL + S3"
LTTEST_BACKEND=postgres cargo test --locked --test pipeline --test intake --test deadlines --test check_back --test lookup --test family_sms --test journey --test feedback --test withdrawal --test verification --test supplements --test result_documents --test accountability --test monthly_report --test alerts
LTTEST_BACKEND=postgres cargo test --locked --test crash sigkills_with_lost_and_throttled_callbacks
