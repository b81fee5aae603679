#!/usr/bin/env bash
# Everything a fresh machine needs beyond the Rust toolchain. Idempotent and quiet when done.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v cargo >/dev/null || { echo "error: cargo not found; install Rust (rustup) first" >&2; exit 1; }
