#!/usr/bin/env bash
# Builds tapio-trace and shows a few seconds of what the kernel does.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh
echo "--- tapio-trace all -d 5s (every area, 5 seconds) ---" >&2
( sleep 1; ls / >/dev/null; sh -c 'exit 3'; cat /nonexistent 2>/dev/null || true ) &
exec build/tapio-trace all -d 5s "$@"
