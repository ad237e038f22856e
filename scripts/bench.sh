#!/usr/bin/env bash
# Runs every benchmark (release build): the pipeline and pages benchmarks on the embedded store,
# and the scale benchmark on PostgreSQL + S3 (a local moto server this script starts) against
# pgbench. Each prints a Markdown table for docs/benchmarks.md.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/s3-server.sh
# A PostgreSQL server: the machine's, or a private one started here (stopped on exit).
source scripts/postgres-server.sh
cargo build --release --locked --bin lienthong
cargo bench --locked --bench pipeline
cargo bench --locked --bench pages
cargo bench --locked --bench scale
