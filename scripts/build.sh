#!/usr/bin/env bash
# Installs missing build dependencies, configures and builds into build/.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh "$@"
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)"
