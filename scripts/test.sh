#!/usr/bin/env bash
# Runs the whole test suite: unit and property tests, the adapters' conformance kits, and the
# black-box tests that start the gateway and the simulators on free ports over real HTTP
# (including the SIGKILL/restart test, which runs the real `lienthong` binary).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo test --workspace --locked
