#!/usr/bin/env bash
# The whole test suite: unit tests (no root) and live tests (root, real BPF
# programs in the running kernel). Installs and builds what it needs first.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh
cd build
ctest --output-on-failure "$@"
