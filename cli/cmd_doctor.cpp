// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// tapio-trace doctor: the host as tapio-trace sees it, and for every hook of
// every area whether it attaches, and how, or why not. The library computes
// the report (diagnose(), src/doctor.h); the decoder layer writes it as
// doctor.* records (write_doctor()).
#include <unistd.h>

#include <fmt/format.h>

#include "cli.h"
#include "tapio/clock.h"
#include "decode.h"
#include "doctor.h"
#include "tapio/writer.h"

namespace tapio::cli {

void register_doctor(CLI::App& app, Options& o)
{
    CLI::App* sub = app.add_subcommand("doctor", "Check this host: kernel, BTF, privileges, every hook");
    sub->callback([&o] {
        o.command = Command::doctor;
        o.subcommand = "doctor";
    });
}

int run_doctor(const Invocation& inv)
{
    const Options& o = inv.options;
    Output out(STDOUT_FILENO);
    WallClock clock = WallClock::now();
    JsonWriter json(out, clock);
    TableWriter table(out, clock);
    RecordSink& sink = o.output == "json" ? static_cast<RecordSink&>(json) : static_cast<RecordSink&>(table);

    Config config = o.config;
    config.log = stderr_log(o.verbose);
    DoctorReport report = diagnose(config);

    write_doctor(sink, report);
    int exit_code = static_cast<int>(report.exit_code);
    sink.flush();
    return exit_code;
}

}  // namespace tapio::cli
