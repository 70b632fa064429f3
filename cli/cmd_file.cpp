// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// tapio-trace file: opens, unlink/rename/mkdir/rmdir/truncate/chmod, slow I/O, per-file I/O.
#include <fmt/format.h>

#include "cli.h"
#include "errors.h"
#include "events.h"
#include "parse.h"

namespace tapio::cli {

void add_file_flags(CLI::App& sub, FileOptions& file, bool with_min_latency)
{
    sub.add_option(
           "--path", file.paths,
           fmt::format("Only paths starting with PREFIX, in the kernel (repeatable, at most {})", TT_FILE_MAX_PREFIXES))
        ->type_name("PREFIX");
    if (with_min_latency)
        sub.add_option_function<std::string>(
               "--min-latency",
               [&file](const std::string& text) {
                   auto d = parse_duration(text);
                   if (!d || d->count() <= 0)
                       throw Error(ExitCode::usage,
                                   fmt::format("--min-latency: '{}' is not a duration (use 100us, 10ms, 1s)", text));
                   file.min_latency = *d;
               },
               "Report reads, writes and syncs slower than DUR as file.slow (e.g. 10ms)")
            ->type_name("DUR");
    sub.add_option("--top", file.top, "Every --sampling-interval, the N busiest (process, file) pairs as file.io")
        ->type_name("N")
        ->check(CLI::NonNegativeNumber);
}

void check_file_options(const FileOptions& file)
{
    if (file.paths.size() > TT_FILE_MAX_PREFIXES)
        throw Error(ExitCode::usage, fmt::format("--path: at most {} prefixes", TT_FILE_MAX_PREFIXES));
    for (const auto& p : file.paths)
        if (p.empty() || p.size() > TT_FILE_PREFIX_LEN)
            throw Error(ExitCode::usage, fmt::format("--path: '{}' must be 1 to {} characters", p, TT_FILE_PREFIX_LEN));
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
