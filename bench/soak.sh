#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# Soak test: `tapio-trace all --json --syscalls --top 10 --drops --states`
# for MINUTES while mixed floods run on the machine:
#   - exec churn: a shell loop running a copy of /bin/true (tt-soak-exec),
#     each iteration one fork, one exec, one exit, counted exactly;
#   - open/close flood: bench/file_workload in batches on one file;
#   - TCP connect/accept/close on 127.0.0.1 (python3), counted per side;
#   - anonymous mmap/munmap of a size no one else uses, over --min-size
#     (python3, about 1000 a second).
# Every 30 s it prints the tracer's VmRSS, RssAnon and VmHWM and the
# occupancy of its hash maps (entries / max_entries, from bpftool, for the
# maps whose owner is the tracer's pid). At the end (floods stopped first,
# then SIGINT) it checks, per record type, records of the floods delivered +
# the drops tapio.dropped reported for that type (lost + rate_limited +
# sampled_out + map_full, summed with jq over every tapio.dropped record)
# against what the floods generated, and prints a summary table.
#
#   sudo bench/soak.sh [BUILD_DIR] [MINUTES]        (defaults: build 10)
#
# SOAK_ARGS adds tracer flags (SOAK_ARGS='--ring-buffer-size 64K' to make it
# lose records and exercise the accounting of losses), SOAK_INTERVAL the
# seconds between reports (30), SOAK_KEEP=1 keeps the work directory.
# Map occupancy is sampled at each report (bpftool map dump), so its "peak"
# is the highest sample, not a true maximum.
#
# Drops are counted per record type, not per process: a drop of file.open
# may be any process's. When a type had drops, the check can only say
# delivered <= generated <= delivered + dropped ("bounded"); with no drops
# it is exact. The output stream is counted as it is read (mawk), not kept:
# a full-speed open flood writes tens of GB in 10 minutes.
#
# Not a test: CI never runs it. Nothing else should load BPF meanwhile.
set -u

build=${1:-build}
minutes=${2:-10}
interval=${SOAK_INTERVAL:-30}
batch=${SOAK_OPEN_BATCH:-20000}
memsize=$((3 * 1024 * 1024 + 12 * 1024))   # mmap size of the memory flood

tapio=$build/tapio-trace
workload=$build/bench/file_workload
for tool in "$tapio" "$workload" jq bpftool mawk python3; do
    if ! command -v "$tool" >/dev/null; then
        echo "soak: $tool is missing" >&2
        exit 1
    fi
done
if [ "$(id -u)" != 0 ]; then
    echo "soak: run as root (tapio-trace loads BPF programs)" >&2
    exit 1
fi
if pgrep -x tapio-trace >/dev/null; then
    echo "soak: another tapio-trace is running (pids $(pgrep -x tapio-trace | tr '\n' ' '))" >&2
    exit 1
fi

dir=$(mktemp -d /tmp/tt-soak.XXXX)
tracer=
counter=
floods=()
cleanup() {
    touch "$dir/stop"
    for p in "${floods[@]}"; do kill "$p" 2>/dev/null; done
    [ -n "$tracer" ] && kill -INT "$tracer" 2>/dev/null
    wait 2>/dev/null
    [ -n "${SOAK_KEEP:-}" ] || rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

exe=$dir/tt-soak-exec
cp /bin/true "$exe"
target=$dir/target
touch "$target"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

# The TCP and memory floods, one process each (no shared GIL). Each prints
# its counts when $dir/stop exists.
cat >"$dir/floods.py" <<'EOF'
import mmap, os, socket, sys, threading, time
kind, stop = sys.argv[1], sys.argv[2]
if kind == "tcp":
    port = int(sys.argv[3])
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", port))
    srv.listen(1024)
    accepted = 0
    done = threading.Event()
    def server():
        global accepted
        srv.settimeout(0.5)
        while True:
            try:
                c, _ = srv.accept()
            except socket.timeout:
                if done.is_set():
                    return
                continue
            accepted += 1
            c.close()
    t = threading.Thread(target=server)
    t.start()
    ok = failed = 0
    errors = {}
    while True:
        if ok % 200 == 0 and os.path.exists(stop):
            break
        s = socket.socket()
        try:
            s.connect(("127.0.0.1", port))
            ok += 1
        except OSError as e:
            failed += 1
            errors[e.errno] = errors.get(e.errno, 0) + 1
            time.sleep(0.01)
        s.close()
    time.sleep(1)          # let the server accept what is queued
    done.set()
    t.join()
    print(ok, accepted, failed, " ".join("%s:%d" % (os.strerror(k), v) for k, v in errors.items()))
else:
    size = int(sys.argv[3])
    n = 0
    while not os.path.exists(stop):
        for _ in range(10):
            m = mmap.mmap(-1, size, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
            m.close()
            n += 1
        time.sleep(0.01)
    print(n)
EOF

# Counts the stream as it goes: lines and bytes per type, the floods' own
# records, and keeps the tapio.dropped records for jq.
mkfifo "$dir/out"
mawk -v exe="$exe" -v target="$target" -v port="$port" -v memsize="$memsize" \
    -v dropped="$dir/dropped.jsonl" '
    BEGIN {
        f_exec = "\"filename\":\"" exe "\""
        f_open = "\"full_path\":\"" target "\""
        f_dport = "\"dport\":" port ","
        f_sport = "\"sport\":" port ","
        f_mem = "\"size\":" memsize ","
        f_exitcomm = "\"comm\":\"tt-soak-exec\""
    }
    {
        i = index($0, "\"type\":\"")
        rest = substr($0, i + 8)
        t = substr(rest, 1, index(rest, "\"") - 1)
        n[t]++
        bytes += length($0) + 1
        lines++
        if (t == "proc.exec") { if (index($0, f_exec)) ours["proc.exec"]++ }
        else if (t == "proc.exit") { if (index($0, f_exitcomm)) ours["proc.exit"]++ }
        else if (t == "file.open") { if (index($0, f_open)) ours["file.open"]++ }
        else if (t == "net.connect") {
            if (index($0, f_dport) && index($0, "\"daddr\":\"127.0.0.1\"")) {
                if (index($0, "\"error\"")) ours["net.connect.failed"]++; else ours["net.connect"]++
            }
        }
        else if (t == "net.accept") { if (index($0, f_sport)) ours["net.accept"]++ }
        else if (t == "mem.alloc") { if (index($0, f_mem)) ours["mem.alloc"]++ }
        else if (t == "mem.unmap") { if (index($0, f_mem)) ours["mem.unmap"]++ }
        else if (t == "tapio.dropped") print $0 > dropped
    }
    END {
        printf "lines %.0f\nbytes %.0f\n", lines, bytes
        for (t in n) printf "type %s %.0f\n", t, n[t]
        for (t in ours) printf "ours %s %.0f\n", t, ours[t]
    }' <"$dir/out" >"$dir/counts" &
counter=$!
: >"$dir/dropped.jsonl"

# shellcheck disable=SC2086 # SOAK_ARGS: extra flags, word-split on purpose
"$tapio" all --json -v --syscalls --top 10 --drops --states ${SOAK_ARGS:-} >"$dir/out" 2>"$dir/err" &
tracer=$!
for _ in $(seq 300); do
    grep -q "^tapio-trace: ready:" "$dir/err" 2>/dev/null && break
    sleep 0.1
done
if ! grep -q "^tapio-trace: ready:" "$dir/err"; then
    echo "soak: tapio-trace did not start:" >&2
    cat "$dir/err" >&2
    exit 1
fi
t_start=$(date +%s.%N)

# The floods.
(n=0; while [ ! -e "$dir/stop" ]; do "$exe"; n=$((n + 1)); done; echo "$n" >"$dir/exec.count") &
floods+=($!)
(b=0; while [ ! -e "$dir/stop" ]; do "$workload" "$batch" "$target" >/dev/null || break; b=$((b + 1)); done
 echo $((b * batch)) >"$dir/open.count") &
floods+=($!)
python3 "$dir/floods.py" tcp "$dir/stop" "$port" >"$dir/tcp.count" &
floods+=($!)
python3 "$dir/floods.py" mem "$dir/stop" "$memsize" >"$dir/mem.count" &
floods+=($!)

# Status of the tracer: kB values of VmRSS RssAnon VmHWM.
status() {
    awk '$1 == "VmRSS:" {r = $2} $1 == "RssAnon:" {a = $2} $1 == "VmHWM:" {h = $2}
         END {print r, a, h}' "/proc/$tracer/status" 2>/dev/null
}
# Occupancy of the tracer's hash maps: "name entries max_entries" per map,
# for the maps it holds an fd of (fdinfo gives id, type and max_entries;
# types 1, 5, 9, 10 are the hash and LRU hash maps, per-CPU or not).
maps() {
    local fd id
    for fd in /proc/"$tracer"/fd/*; do
        [ "$(readlink "$fd" 2>/dev/null)" = "anon_inode:bpf-map" ] || continue
        awk '$1 == "map_type:" {t = $2} $1 == "max_entries:" {m = $2} $1 == "map_id:" {i = $2}
             END {if (t == 1 || t == 5 || t == 9 || t == 10) print i, m}' "/proc/$tracer/fdinfo/${fd##*/}"
    done | sort -un | while read -r id max; do
        name=$(bpftool map show id "$id" -j 2>/dev/null | jq -r '.name // "?"')
        n=$(bpftool map dump id "$id" -j 2>/dev/null | jq length)
        echo "$name ${n:-?} $max"
    done
}
sample() {
    local el rss anon hwm
    el=$(awk -v s="$t_start" -v n="$(date +%s.%N)" 'BEGIN {printf "%.0f", n - s}')
    read -r rss anon hwm < <(status)
    echo "$el $rss $anon $hwm" >>"$dir/rss"
    maps | tee -a "$dir/maps" >"$dir/maps.now"
    printf '[%4ss] VmRSS %6d kB  RssAnon %6d kB  VmHWM %6d kB  maps:' "$el" "$rss" "$anon" "$hwm"
    awk '$2 != "0" {printf " %s %s/%s", $1, $2, $3}' "$dir/maps.now"
    echo
}

echo "soak: tapio-trace pid $tracer, $minutes min, port $port, files in $dir"
: >"$dir/rss"
: >"$dir/maps"
sample
end=$(awk -v s="$t_start" -v m="$minutes" 'BEGIN {printf "%.0f", s + m * 60}')
next=$(awk -v s="$t_start" -v i="$interval" 'BEGIN {printf "%.0f", s + i}')
while :; do
    now=$(date +%s)
    [ "$now" -ge "$end" ] && break
    tick=$((next < end ? next : end))
    [ "$tick" -gt "$now" ] && sleep $((tick - now))
    next=$((next + interval))
    sample
done

# Stop the floods, let them write their counts, then stop the tracer.
touch "$dir/stop"
for p in "${floods[@]}"; do wait "$p"; done
floods=()
sleep 1
kill -INT "$tracer"
wait "$tracer"
rc=$?
t_end=$(date +%s.%N)
tracer=
wait "$counter"

echo
echo "soak: tapio-trace exited $rc; its stderr:"
tail -n 2 "$dir/err" | sed 's/^/  /'

got() { awk -v k="$1" -v t="$2" '$1 == k && $2 == t {print $3; f = 1} END {if (!f) print 0}' "$dir/counts"; }
drops() {  # every reason, summed over every tapio.dropped record, for type $1
    jq -s --arg t "$1" '[.[] | (.lost, .rate_limited, .sampled_out, .map_full) | .[$t] // 0] | add // 0' "$dir/dropped.jsonl"
}
reason() {  # one reason summed over every type and record
    jq -s --arg r "$1" '[.[] | .[$r] // {} | to_entries[] | .value] | add // 0' "$dir/dropped.jsonl"
}

read -r tcp_ok tcp_acc tcp_fail tcp_err <"$dir/tcp.count"
gen_exec=$(cat "$dir/exec.count")
gen_open=$(cat "$dir/open.count")
gen_mem=$(cat "$dir/mem.count")

ok_all=1
check() {  # type delivered expected
    local t=$1 d=$2 e=$3 x verdict
    x=$(drops "$t")
    if [ $((d + x)) -eq "$e" ]; then
        verdict="exact"
    elif [ "$x" -gt 0 ] && [ "$d" -le "$e" ] && [ "$e" -le $((d + x)) ]; then
        verdict="bounded (drops are per type, any process's)"
    else
        verdict="MISMATCH"
        ok_all=0
    fi
    printf '  %-12s %d + %d = %d (expected %d)  %s\n' "$t" "$d" "$x" $((d + x)) "$e" "$verdict"
    echo "| $t | $d | $x | $e | $verdict |" >>"$dir/acct.md"
}
echo
echo "soak: accounting, delivered + dropped = generated"
: >"$dir/acct.md"
check proc.exec "$(got ours proc.exec)" "$gen_exec"
check proc.exit "$(got ours proc.exit)" "$gen_exec"
check file.open "$(got ours file.open)" "$gen_open"
check net.connect "$(got ours net.connect)" "$tcp_ok"
check net.accept "$(got ours net.accept)" "$tcp_acc"
check mem.alloc "$(got ours mem.alloc)" "$gen_mem"
check mem.unmap "$(got ours mem.unmap)" "$gen_mem"
echo "  connects that failed in the flood: $tcp_fail ${tcp_err:-} (failed net.connect records of its port: $(got ours net.connect.failed))"

secs=$(awk -v a="$t_start" -v b="$t_end" 'BEGIN {printf "%.1f", b - a}')
lines=$(awk '$1 == "lines" {print $2}' "$dir/counts")
bytes=$(awk '$1 == "bytes" {print $2}' "$dir/counts")
lost=$(reason lost)
lost_pct=$(awk -v l="$lost" -v d="$lines" 'BEGIN {printf "%.3f", d + l ? 100 * l / (d + l) : 0}')

echo
echo "soak: records per type"
awk '$1 == "type" {printf "  %-16s %12d\n", $2, $3}' "$dir/counts" | sort -k2 -nr
echo "soak: drops by reason: lost $(reason lost), rate_limited $(reason rate_limited), sampled_out $(reason sampled_out), map_full $(reason map_full)"
echo "soak: per type: $(jq -sc '[.[] | (.lost, .rate_limited, .sampled_out, .map_full) // {} | to_entries[]] | group_by(.key) | map({(.[0].key): (map(.value) | add)}) | add // {}' "$dir/dropped.jsonl")"

read -r rss0 anon0 <<<"$(awk 'NR == 1 {print $2, $3}' "$dir/rss")"
read -r rss1 anon1 hwm1 <<<"$(awk 'END {print $2, $3, $4}' "$dir/rss")"
rsspeak=$(awk '$2 > m {m = $2} END {print m}' "$dir/rss")
anonpeak=$(awk '$3 > m {m = $3} END {print m}' "$dir/rss")
mb() { awk -v k="$1" 'BEGIN {printf "%.1f MB", k / 1024}'; }

echo
echo "soak: summary ($minutes min, $secs s traced)"
echo
echo "| measure | value |"
echo "|---|---|"
echo "| floods generated | $gen_exec execs, $gen_open opens, $tcp_ok connects ($tcp_acc accepts), $gen_mem mmaps of $memsize B |"
echo "| records delivered | $lines ($(awk -v b="$bytes" 'BEGIN {printf "%.1f GB", b / 1e9}') of JSON) |"
echo "| records/s | $(awk -v l="$lines" -v s="$secs" 'BEGIN {printf "%.0f", l / s}') |"
echo "| lost (ring buffer full) | $lost ($lost_pct %) |"
echo "| VmRSS start / peak / end | $(mb "$rss0") / $(mb "$rsspeak") / $(mb "$rss1") |"
echo "| RssAnon start / peak / end | $(mb "$anon0") / $(mb "$anonpeak") / $(mb "$anon1") |"
echo "| VmHWM at end | $(mb "$hwm1") |"
awk '{if ($2 + 0 > p[$1]) p[$1] = $2 + 0; m[$1] = $3} END {for (k in m) printf "| map %s peak | %d / %d |\n", k, p[k], m[k]}' "$dir/maps" | sort
echo
echo "| type | delivered | dropped | generated | |"
echo "|---|---|---|---|---|"
cat "$dir/acct.md"
[ "$ok_all" = 1 ]
