# fish completion for tapio-trace(8)
#
# fish finds this file in the vendor_completions.d of each $XDG_DATA_DIRS entry
# (without XDG_DATA_DIRS: /usr/share/fish/vendor_completions.d only) or in
# /etc/fish/completions, where an install to /usr/local puts it.

# The record types -e/--events takes, and each area's glob: one per line,
# a tab, what it is.
# events:begin (generated from the record registry by scripts/gen-docs.sh)
function __tapio_trace_record_types
    printf '%s\t%s\n' \
        'proc.*' 'every proc record' \
        'proc.exec' 'A program was executed (execve, execveat; failed ones too)' \
        'proc.fork' 'A process was created (a thread too, with --threads)' \
        'proc.exit' 'A process ended, that is its last thread left' \
        'proc.signal' 'A signal sent with kill, tkill or tgkill' \
        'proc.setuid' 'A process asked to change its user ids (setuid, setreuid, setresuid)' \
        'proc.syscalls' 'With --syscalls, every --sampling-interval, per process: its busiest syscalls' \
        'net.*' 'every net record' \
        'net.connect' 'A TCP connect() ended: established, or failed' \
        'net.accept' 'A TCP connection was accepted' \
        'net.close' 'One per end of an established connection' \
        'net.retransmit' 'A TCP segment was retransmitted' \
        'net.reset' 'A TCP RST was sent or received' \
        'net.drop' 'With --drops: a packet the kernel dropped' \
        'net.state' 'With --states: a TCP state change' \
        'file.*' 'every file record' \
        'file.open' 'A file was opened (open, openat, openat2, creat)' \
        'file.unlink' 'A file was removed (unlink, unlinkat)' \
        'file.rename' 'A file was renamed (rename, renameat, renameat2)' \
        'file.mkdir' 'A directory was made (mkdir, mkdirat)' \
        'file.rmdir' 'A directory was removed (rmdir, unlinkat with AT_REMOVEDIR)' \
        'file.truncate' 'A file was truncated (truncate, ftruncate)' \
        'file.chmod' 'A file\'s mode was changed (chmod, fchmodat, fchmodat2, fchmod)' \
        'file.slow' 'With --min-latency: a read, write or sync slower than the threshold' \
        'file.io' 'With --top, every --sampling-interval: per process and file, busiest first' \
        'mem.*' 'every mem record' \
        'mem.oom_kill' 'The OOM killer chose a victim (oom:mark_victim)' \
        'mem.reclaim' 'A direct reclaim stall longer than --min-latency' \
        'mem.alloc' 'An mmap, brk or mremap of at least --min-size' \
        'mem.unmap' 'A munmap of at least --min-size: memory given back' \
        'mem.pressure' 'Every --sampling-interval, the kernel\'s pressure stall information for memory'
end
# events:end

# A comma-separated list of them: complete its last element; a subcommand
# of one area offers its own.
function __tapio_trace_events
    set -l done (string replace -r '[^,]*$' '' -- (commandline -ct))
    set -l area
    for word in (commandline -opc)
        if contains -- $word proc net file mem
            set area $word
            break
        end
    end
    for line in (__tapio_trace_record_types)
        if test -z "$area"; or string match -q -- "$area.*" $line
            printf '%s%s\n' $done $line
        end
    end
end
set -l subcommands proc net file mem all doctor schema help
complete -c tapio-trace -f
complete -c tapio-trace -n "not __fish_seen_subcommand_from $subcommands" -a proc -d 'Process exec, fork, exit, signals, syscalls'
complete -c tapio-trace -n "not __fish_seen_subcommand_from $subcommands" -a net -d 'TCP connections, retransmits, resets, drops'
complete -c tapio-trace -n "not __fish_seen_subcommand_from $subcommands" -a file -d 'File operations, slow I/O, access patterns'
complete -c tapio-trace -n "not __fish_seen_subcommand_from $subcommands" -a mem -d 'OOM kills, reclaim, pressure, allocations'
complete -c tapio-trace -n "not __fish_seen_subcommand_from $subcommands" -a all -d 'Every area in one stream'
complete -c tapio-trace -n "not __fish_seen_subcommand_from $subcommands" -a doctor -d 'Check this host and every hook'
complete -c tapio-trace -n "not __fish_seen_subcommand_from $subcommands" -a schema -d 'Print the JSON Schema of every record'
complete -c tapio-trace -n "not __fish_seen_subcommand_from $subcommands" -a help -d 'Print the help, or a subcommand\'s'
complete -c tapio-trace -n "__fish_seen_subcommand_from help" -a 'proc net file mem all doctor schema'

# global flags
complete -c tapio-trace -n "not __fish_seen_subcommand_from schema" -s j -l json -d 'One JSON object per line'
complete -c tapio-trace -n "not __fish_seen_subcommand_from schema" -s o -l output -x -a 'table json' -d 'Output format'
complete -c tapio-trace -n "not __fish_seen_subcommand_from doctor schema" -s p -l pid -x -a '(__fish_complete_pids)' -d 'Only this process'
complete -c tapio-trace -n "not __fish_seen_subcommand_from doctor schema" -l comm -x -d 'Only tasks with this command name'
complete -c tapio-trace -n "not __fish_seen_subcommand_from doctor schema" -s u -l uid -x -a '(__fish_complete_users)' -d 'Only tasks running as USER or UID'
complete -c tapio-trace -n "not __fish_seen_subcommand_from doctor schema" -l cgroup -r -a '(__fish_complete_directories)' -d 'Only tasks in this cgroup directory'
complete -c tapio-trace -n "not __fish_seen_subcommand_from doctor schema" -l container -x -d 'Only tasks in containers whose id starts with ID'
complete -c tapio-trace -n "not __fish_seen_subcommand_from doctor schema" -l pod -x -d 'Only tasks in Kubernetes pods named NAME'
complete -c tapio-trace -n "not __fish_seen_subcommand_from doctor schema" -l namespace -x -d 'Only tasks in pods of this Kubernetes namespace'
complete -c tapio-trace -n "not __fish_seen_subcommand_from doctor schema" -l no-enrich -d 'No container and pod fields'
complete -c tapio-trace -n "not __fish_seen_subcommand_from doctor schema" -l pod-logs -r -a '(__fish_complete_directories)' -d "kubelet's pod log directories"
complete -c tapio-trace -n "not __fish_seen_subcommand_from doctor schema" -l kubelet-root -r -a '(__fish_complete_directories)' -d "kubelet's state directory"
complete -c tapio-trace -n "not __fish_seen_subcommand_from doctor schema" -s x -l failed -d 'Only failed operations'
complete -c tapio-trace -n "not __fish_seen_subcommand_from doctor schema" -s d -l duration -x -d 'Stop after DUR (500ms, 10s, 2m)'
complete -c tapio-trace -n "not __fish_seen_subcommand_from doctor schema" -s n -l count -x -d 'Stop after N events'
complete -c tapio-trace -n "not __fish_seen_subcommand_from doctor schema" -s e -l events -x -a '(__tapio_trace_events)' -d 'Only these record types'
complete -c tapio-trace -n "not __fish_seen_subcommand_from doctor schema" -l rate-limit -x -d 'At most N events per second'
complete -c tapio-trace -n "not __fish_seen_subcommand_from doctor schema" -l sample -x -d 'Keep 1 in N events'
complete -c tapio-trace -n "not __fish_seen_subcommand_from doctor schema" -l limit-critical -d 'Sample and rate-limit critical records too'
complete -c tapio-trace -n "not __fish_seen_subcommand_from doctor schema" -l sampling-interval -x -d 'Interval of periodic summaries'
complete -c tapio-trace -n "not __fish_seen_subcommand_from doctor schema" -l ring-buffer-size -x -d 'Ring buffer size, a power of two'
complete -c tapio-trace -n "not __fish_seen_subcommand_from schema" -s v -l verbose -d 'Report what attached how'
complete -c tapio-trace -n "not __fish_seen_subcommand_from doctor schema" -l children -d 'With -p, also every process they fork'
complete -c tapio-trace -n "not __fish_seen_subcommand_from doctor schema" -l color -x -a 'never auto always' -d 'Colour in the table'
complete -c tapio-trace -n "not __fish_seen_subcommand_from doctor schema" -l time -x -a 'local utc rfc3339 relative' -d 'The table\'s TIME column'
complete -c tapio-trace -l version -d 'Print the version'
complete -c tapio-trace -s h -l help -d 'Print help'

# proc
complete -c tapio-trace -n '__fish_seen_subcommand_from proc all' -l max-args -x -d 'Arguments kept per exec'
complete -c tapio-trace -n '__fish_seen_subcommand_from proc all' -l threads -d 'Fork and exit of every thread'
complete -c tapio-trace -n '__fish_seen_subcommand_from proc all' -l syscalls -d 'Per-process syscall summary'
complete -c tapio-trace -n '__fish_seen_subcommand_from proc all' -l syscalls-top -x -d 'Syscalls listed per process'
# net
complete -c tapio-trace -n '__fish_seen_subcommand_from net all' -l port -x -d 'Either side is port N'
complete -c tapio-trace -n '__fish_seen_subcommand_from net all' -l lport -x -d 'Local port N'
complete -c tapio-trace -n '__fish_seen_subcommand_from net all' -l rport -x -d 'Remote port N'
complete -c tapio-trace -n '__fish_seen_subcommand_from net all' -s 4 -l ipv4 -d 'IPv4 only'
complete -c tapio-trace -n '__fish_seen_subcommand_from net all' -s 6 -l ipv6 -d 'IPv6 only'
complete -c tapio-trace -n '__fish_seen_subcommand_from net all' -l drops -d 'Report dropped packets'
complete -c tapio-trace -n '__fish_seen_subcommand_from net all' -l states -d 'Report every TCP state change'
# file
complete -c tapio-trace -n '__fish_seen_subcommand_from file all' -l path -r -d 'Only paths under PREFIX'
complete -c tapio-trace -n '__fish_seen_subcommand_from file mem all' -l min-latency -x -d 'Latency threshold'
complete -c tapio-trace -n '__fish_seen_subcommand_from file all' -l top -x -d 'Per-file I/O summary rows'
complete -c tapio-trace -n '__fish_seen_subcommand_from file all' -l slow-any-file -d 'file.slow also for pipes, sockets, terminals'
# mem
complete -c tapio-trace -n '__fish_seen_subcommand_from mem all' -l min-size -x -d 'Allocations of at least SIZE'
complete -c tapio-trace -n '__fish_seen_subcommand_from mem all' -l pressure-threshold -x -d 'Record when some_avg10 crosses PCT'
complete -c tapio-trace -n '__fish_seen_subcommand_from mem all' -l no-pressure -d 'No mem.pressure records'
complete -c tapio-trace -n '__fish_seen_subcommand_from mem all' -l file-mappings -d 'mem.alloc also for mmaps of files'
# all
complete -c tapio-trace -n '__fish_seen_subcommand_from all' -l no-proc -d 'Leave out the proc area'
complete -c tapio-trace -n '__fish_seen_subcommand_from all' -l no-net -d 'Leave out the net area'
complete -c tapio-trace -n '__fish_seen_subcommand_from all' -l no-file -d 'Leave out the file area'
complete -c tapio-trace -n '__fish_seen_subcommand_from all' -l no-mem -d 'Leave out the mem area'
