// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// Decoding of hand-built records, exactly as the BPF side lays them out.
#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <cstring>

#include "fixtures.h"
#include "decode.h"
#include "tapio/writer.h"

using nlohmann::json;
using namespace tapio;

namespace {

template <typename T>
T make(uint16_t kind)
{
    auto rec = fixtures::make_record<T>(kind, 100, "worker");
    rec.h.uid = 0;
    return rec;
}

template <typename T>
json decode(const T& rec, DecodeOptions options = {})
{
    return fixtures::decode_json(rec, options);
}

}  // namespace

TEST_CASE("proc.exec: argv split, max-args and truncation")
{
    auto rec = make<tt_proc_exec>(TT_PROC_EXEC);
    std::strcpy(rec.filename, "/usr/bin/env");
    const char argv[] = "env\0-i\0A=1\0two words";
    std::memcpy(rec.args, argv, sizeof(argv));
    rec.args_size = sizeof(argv);
    json j = decode(rec);
    CHECK(j["type"] == "proc.exec");
    CHECK(j["pid"] == 100);
    CHECK(j["tid"] == 101);
    CHECK(j["comm"] == "worker");
    CHECK(j["filename"] == "/usr/bin/env");
    CHECK(j["args"] == json::array({"env", "-i", "A=1", "two words"}));
    CHECK(j["args_truncated"] == false);
    CHECK(j["ret"] == 0);
    CHECK_FALSE(j.contains("error"));

    DecodeOptions two;
    two.max_args = 2;
    json cut = decode(rec, two);
    CHECK(cut["args"] == json::array({"env", "-i"}));
    CHECK(cut["args_truncated"] == true);

    rec.args_flags = TT_EXEC_ARGS_TRUNCATED;
    rec.ret = -13;
    json failed = decode(rec);
    CHECK(failed["args_truncated"] == true);
    CHECK(failed["ret"] == -13);
    CHECK(failed["error"] == "EACCES");
}

TEST_CASE("proc.exec: interpreter, where args came from, cut filenames, unnamed errors")
{
    auto rec = make<tt_proc_exec>(TT_PROC_EXEC);
    std::strcpy(rec.filename, "/opt/run.sh");
    const char argv[] = "/opt/run.sh\0-x";
    std::memcpy(rec.args, argv, sizeof(argv));
    rec.args_size = sizeof(argv);
    json plain = decode(rec);
    CHECK(plain["interpreter"].is_null());
    CHECK(plain["interpreter_truncated"] == false);
    CHECK(plain["filename_truncated"] == false);
    CHECK(plain["args_source"] == "caller");

    std::strcpy(rec.interp, "/bin/sh");
    rec.args_flags = TT_EXEC_HAS_INTERP | TT_EXEC_FILENAME_TRUNCATED;
    json script = decode(rec);
    CHECK(script["interpreter"] == "/bin/sh");
    CHECK(script["filename_truncated"] == true);
    CHECK(script["args"] == json::array({"/opt/run.sh", "-x"}));

    rec.args_flags = TT_EXEC_ARGS_FROM_IMAGE;
    CHECK(decode(rec)["args_source"] == "image");

    // A code with no name is still a string.
    rec.ret = -600;
    CHECK(decode(rec)["error"] == "E600");
    rec.ret = -512;
    CHECK(decode(rec)["error"] == "ERESTARTSYS");
}

TEST_CASE("proc.exit: the scope says whether the process ended or one thread left")
{
    auto rec = make<tt_proc_exit>(TT_PROC_EXIT);
    CHECK(decode(rec)["scope"] == "process");
    rec.exit_flags = TT_EXIT_THREAD;
    CHECK(decode(rec)["scope"] == "thread");
}

TEST_CASE("proc.exit: wait status split into code, signal, core")
{
    auto rec = make<tt_proc_exit>(TT_PROC_EXIT);
    rec.exit_code = 7 << 8;
    rec.duration_ns = 1234;
    json j = decode(rec);
    CHECK(j["exit_code"] == 7);
    CHECK(j["signal"].is_null());
    CHECK(j["core_dumped"] == false);
    CHECK(j["duration_ns"] == 1234);

    rec.exit_code = 9;
    j = decode(rec);
    CHECK(j["exit_code"] == 0);
    CHECK(j["signal"] == "SIGKILL");

    rec.exit_code = 11 | 0x80;
    j = decode(rec);
    CHECK(j["signal"] == "SIGSEGV");
    CHECK(j["core_dumped"] == true);
}

TEST_CASE("proc.signal and proc.fork")
{
    auto sig = make<tt_proc_signal>(TT_PROC_SIGNAL);
    sig.target_pid = 555;
    sig.sig = 10;
    sig.ret = -3;
    json j = decode(sig);
    CHECK(j["target_pid"] == 555);
    CHECK_FALSE(j.contains("target_tid"));
    CHECK(j["signal"] == "SIGUSR1");
    CHECK(j["error"] == "ESRCH");

    auto fork = make<tt_proc_fork>(TT_PROC_FORK);
    fork.child_pid = fork.child_tid = 777;
    j = decode(fork);
    CHECK(j["child_pid"] == 777);
    CHECK_FALSE(j.contains("child_tid"));
}

TEST_CASE("malformed records are refused, not decoded")
{
    auto rec = make<tt_proc_fork>(TT_PROC_FORK);
    Output out(-1);
    JsonWriter w(out, WallClock(0));
    CHECK_FALSE(decode_record(&rec, sizeof(tt_header) - 1, {}, w));
    CHECK_FALSE(decode_record(&rec, sizeof(rec) - 4, {}, w));
    rec.h.kind = TT_KIND_MAX - 1;
    CHECK_FALSE(decode_record(&rec, sizeof(rec), {}, w));
    rec.h.kind = TT_PROC_FORK;
    rec.h.size = 12;
    CHECK_FALSE(decode_record(&rec, sizeof(rec), {}, w));
    CHECK(out.buffer().size() == 0);
}
