// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// tapio-trace file: opens, unlink/rename/mkdir/rmdir/truncate/chmod, slow I/O, per-file I/O.
#include <fmt/format.h>

#include "cli.h"
#include "tapio/errors.h"

namespace tapio::cli {

void add_file_flags(CLI::App& sub, FileOptions& file, bool with_min_latency)
{
    sub.add_option("--path", file.paths,
                   fmt::format("Only paths starting with PREFIX, in the kernel (repeatable, at most {})",
                               limits::path_prefixes))
        ->type_name("PREFIX");
    if (with_min_latency)
        add_min_latency_flag(
            sub, [&file](std::chrono::nanoseconds d) { file.min_latency = d; }, false,
            "Report reads, writes and syncs slower than DUR as file.slow (e.g. 10ms)");
    sub.add_flag("--slow-any-file", file.slow_any_file,
                 "file.slow also for pipes, sockets, terminals and character devices, not only regular files and "
                 "block devices");
    sub.add_option("--top", file.top, "Every --sampling-interval, the N busiest (process, file) pairs as file.io")
        ->type_name("N")
        ->check(CLI::NonNegativeNumber);
}

void check_file_options(const FileOptions& file)
{
    if (file.paths.size() > limits::path_prefixes)
        throw Error(ExitCode::usage, fmt::format("--path: at most {} prefixes", limits::path_prefixes));
    for (const auto& p : file.paths)
        if (p.empty() || p.size() > limits::path_prefix_length)
            throw Error(ExitCode::usage,
                        fmt::format("--path: '{}' must be 1 to {} characters", p, limits::path_prefix_length));
}

void register_file(CLI::App& app, Options& o)
{
    CLI::App* sub = app.add_subcommand("file", "File opens, unlink, rename, mkdir, chmod, slow I/O, busiest files");
    add_file_flags(*sub, o.config.file);
    sub->callback([&o] {
        o.command = Command::trace;
        o.subcommand = "file";
        o.config.areas = {Area::file};
        check_file_options(o.config.file);
    });
}

}  // namespace tapio::cli
