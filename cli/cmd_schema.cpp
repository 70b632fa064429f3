// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// tapio-trace schema: the JSON Schema of every record, from the registry.
#include <fmt/format.h>

#include "cli.h"
#include "schema.h"

namespace tapio::cli {

void register_schema(CLI::App& app, Options& o)
{
    CLI::App* sub = app.add_subcommand("schema", "Print the JSON Schema of every record --json writes");
    sub->callback([&o] {
        o.command = Command::schema;
        o.subcommand = "schema";
    });
}

int run_schema(const Invocation&)
{
    fmt::print("{}", json_schema());
    return 0;
}

}  // namespace tapio::cli
