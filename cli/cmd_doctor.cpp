// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// tapio-trace doctor: the host as tapio-trace sees it, and for every hook of
// every area whether it attaches, and how, or why not. The library computes
// the report (diagnose(), src/doctor.h); this shows it as a human report or,
// with --json, as one JSON document (not a stream of records).
#include <string.h>
#include <unistd.h>

#include <fmt/format.h>

#include "cli.h"
#include "doctor.h"
#include "tapio/writer.h"

namespace tapio::cli {

void register_doctor(CLI::App& app, Options& o)
{
    CLI::App* sub = app.add_subcommand("doctor", "Report on this host: kernel facts, every area and hook, a verdict");
    sub->callback([&o] {
        o.command = Command::doctor;
        o.subcommand = "doctor";
    });
    // Only what doctor uses: the output format and -v. The tracing flags
    // are refused (parse()).
    add_output_flags(*sub, o);
}

int run_doctor(const Invocation& inv)
{
    const Options& o = inv.options;
    Config config = o.config;
    config.log = stderr_log(o.verbose);
    DoctorReport report = diagnose(config);

    Output out(STDOUT_FILENO);
    std::string text = o.output == "json" ? doctor_json(report) : doctor_table(report, o.verbose);
    out.buffer().append(text);
    if (!out.flush() && out.error())
        throw Error(ExitCode::runtime, fmt::format("cannot write the report: {}", strerror(out.error())));
    return static_cast<int>(report.exit_code);
}

}  // namespace tapio::cli
