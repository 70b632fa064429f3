// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// A RecordSink that drops everything: tests override what they look at.
#pragma once

#include "tapio/sink.h"

namespace test_support {

struct NullSink : tapio::RecordSink {
    void begin(std::string_view, const tapio::Common&) override {}
    void i64(std::string_view, int64_t) override {}
    void u64(std::string_view, uint64_t) override {}
    void boolean(std::string_view, bool) override {}
    void null(std::string_view) override {}
    void str(std::string_view, std::string_view) override {}
    void begin_array(std::string_view) override {}
    void element(std::string_view) override {}
    void end_array() override {}
    void begin_object(std::string_view) override {}
    void end_object() override {}
    void end() override {}
};

}  // namespace test_support
