// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// tapio-trace file: opens, unlink/rename/mkdir/rmdir/truncate/chmod, slow I/O, per-file I/O.
#include <unistd.h>

#include <fmt/format.h>

#include "cli.h"
#include "tapio/errors.h"

namespace tapio::cli {

void add_file_flags(CLI::App& sub, FileOptions& file, bool with_min_latency)
{
    add_value(
        sub, "--path", "PREFIX",
        fmt::format("Only paths starting with PREFIX, in the kernel (repeatable, at most {})", limits::path_prefixes),
        fmt::format("give a path prefix of 1 to {} characters, such as /etc/", limits::path_prefix_length),
        [&file](const std::string& flag, const std::string& text) {
            if (text.empty() || text.size() > limits::path_prefix_length)
                bad_value(
                    flag, text, text.empty() ? "is empty" : "is too long",
                    fmt::format("give a path prefix of 1 to {} characters, such as /etc/", limits::path_prefix_length));
            // The kernel compares the absolute path of what a call touched
            // (a relative one resolved against its cwd): a relative prefix
            // would never match.
            if (text[0] != '/') {
                // The example: the same prefix under the cwd, when it is plain.
                std::string_view rest = text;
                while (rest.rfind("./", 0) == 0)
                    rest.remove_prefix(2);
                char cwd[4096];
                std::string example = "/etc/";
                if (rest != "." && rest.rfind("..", 0) != 0 && getcwd(cwd, sizeof(cwd))) {
                    std::string dir = cwd;
                    std::string full = (dir == "/" ? dir : dir + "/").append(rest);
                    if (full.size() <= limits::path_prefix_length)
                        example = full;
                }
                bad_value(flag, text, "is a relative path, and the kernel compares absolute paths",
                          fmt::format("give one that starts with /, such as {}", shown(example)));
            }
            file.paths.push_back(text);
        },
        true);
    if (with_min_latency)
        add_min_latency_flag(
            sub, [&file](std::chrono::nanoseconds d) { file.min_latency = d; }, false,
            "Report reads, writes and syncs slower than DUR as file.slow (e.g. 10ms)");
    sub.add_flag("--slow-any-file", file.slow_any_file,
                 "file.slow also for pipes, sockets, terminals and character devices, not only regular files and "
                 "block devices");
    add_number(sub, "--top", file.top, 0, UINT32_MAX,
               "Every --sampling-interval, the N busiest (process, file) pairs of all as file.io (0: off)",
               "give a whole number of rows, 0 (off) or more");
}

void check_file_options(const FileOptions& file)
{
    if (file.paths.size() > limits::path_prefixes)
        usage_error(fmt::format("--path: {} prefixes; give at most {}", file.paths.size(), limits::path_prefixes));
}

void register_file(CLI::App& app, Options& o)
{
    CLI::App* sub = app.add_subcommand("file", "File opens, unlink, rename, mkdir, chmod, slow I/O, busiest files");
    add_file_flags(*sub, o.config.file);
    add_global_flags(*sub, o);
    sub->callback([&o] {
        o.command = Command::trace;
        o.subcommand = "file";
        o.config.areas = {Area::file};
        check_file_options(o.config.file);
    });
}

}  // namespace tapio::cli
