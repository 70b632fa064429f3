#!/usr/bin/env bash
# Start-up: time from launch to the first event on stdout, median of N runs,
# for tapio-trace (one area and all) and for the peers when installed.
# Run as root from the repository: sudo bench/startup.sh [runs]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-11}
fe=build/bench/first_event
tt=build/tapio-trace
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
measure() {
  local label=$1; shift
  local skip=$1; shift
  local values
  values=$(for _ in $(seq "$runs"); do "$fe" --skip "$skip" -- "$@" || echo 99999; done | median)
  printf '%-34s %8s ms\n' "$label" "$values"
}
printf '%-34s %11s\n' "tracer" "first event"
measure "tapio-trace proc --json" 0 "$tt" proc --json -p '{pid}'
measure "tapio-trace file --json" 0 "$tt" file --json -p '{pid}'
measure "tapio-trace all --json" 0 "$tt" all --json -p '{pid}'
# BASELINE=/path/to/older/tapio-trace: that build too, in the same run.
if [ -n "${BASELINE:-}" ]; then
  measure "  baseline proc --json" 0 "$BASELINE" proc --json -p '{pid}'
  measure "  baseline file --json" 0 "$BASELINE" file --json -p '{pid}'
  measure "  baseline all --json" 0 "$BASELINE" all --json -p '{pid}'
fi
command -v opensnoop >/dev/null && measure "opensnoop (libbpf-tools)" 1 opensnoop -p '{pid}'
command -v bpftrace >/dev/null && measure "bpftrace (openat)" 1 bpftrace -e \
  'tracepoint:syscalls:sys_enter_openat /pid == '"$$"' || 1/ { printf("%s\n", str(args->filename)); }'
