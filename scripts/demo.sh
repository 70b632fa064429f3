#!/usr/bin/env bash
# Builds tapio-trace (the binary only, not the tests and benchmarks) and shows
# five seconds of what the kernel does, with a few known things happening in
# them: a program run, a process exiting with status 3, a failed open.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh tapio-trace
echo "--- tapio-trace all -d 5s (every area, 5 seconds) ---" >&2
# The workload runs without the script's set -e: sh's exit status 3 and cat's
# failed open are what it is there to show, not errors that end it.
(
  set +e
  sleep 1
  ls / >/dev/null
  sh -c 'exit 3'
  cat /nonexistent/tapio-trace-demo 2>/dev/null
  exit 0
) &
exec build/tapio-trace all -d 5s "$@"
