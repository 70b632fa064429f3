// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// Checks a JSON line against the record registry: its type is declared,
// the common fields come first, every other field is declared, in declared
// order, of its declared type, null only where the registry allows it, and
// every field that is not optional is there. Used by the unit tests (decoded
// records) and by the live harness (every line the real binary writes).
#pragma once

#include <nlohmann/json.hpp>

#include <span>
#include <string>
#include <vector>

namespace tapio {
struct Field;
}

namespace schema_check {

// What is wrong with the record, one line each; empty when it conforms.
std::vector<std::string> problems(const nlohmann::ordered_json& record);
// What is wrong with a JSON object that is not a stream record (the doctor
// document), against its declared fields; where names it in the messages.
std::vector<std::string> fields_problems(const nlohmann::ordered_json& object, std::span<const tapio::Field> fields,
                                         const std::string& where);
// The same for one line of text ("not JSON" when it does not parse).
std::vector<std::string> line_problems(const std::string& line);
// Every line of text that starts with '{'.
std::vector<std::string> text_problems(const std::string& text);

// Record types and fields seen so far by problems(), for a coverage report.
struct Coverage {
    size_t records = 0;  // records checked
    std::vector<std::string> types_unseen;
    std::vector<std::string> fields_unseen;  // "proc.exec.interpreter"
};
Coverage coverage();

}  // namespace schema_check
