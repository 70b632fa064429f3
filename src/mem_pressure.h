// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// Pressure stall information (PSI) for memory: /proc/pressure/memory and a
// cgroup v2 directory's memory.pressure, kept open and re-read with pread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tapio/config.h"

namespace tapio {

// One line of a pressure file; averages in hundredths of a percent.
struct PsiLine {
    uint32_t avg10 = 0;
    uint32_t avg60 = 0;
    uint32_t avg300 = 0;
    uint64_t total_us = 0;
};

struct PsiSample {
    PsiLine some;
    PsiLine full;
    bool has_full = false;
};

// Parses "some avg10=1.23 avg60=... avg300=... total=N\nfull ...". nullopt
// when the text is not a pressure file.
std::optional<PsiSample> parse_psi(std::string_view text);

// A pressure file kept open for the whole run.
class PsiFile {
public:
    PsiFile() = default;
    PsiFile(std::string path, std::string source);
    ~PsiFile();
    PsiFile(PsiFile&& other) noexcept;
    PsiFile& operator=(PsiFile&&) = delete;
    PsiFile(const PsiFile&) = delete;
    PsiFile& operator=(const PsiFile&) = delete;

    const std::string& path() const { return path_; }
    const std::string& source() const { return source_; }  // "system" or "cgroup"
    // Why the file cannot be read (PSI off, no such file), or empty.
    const std::string& problem() const { return problem_; }
    // Re-reads the file; on failure sets problem() and returns nullopt.
    std::optional<PsiSample> read();

    // Threshold state: whether some_avg10 was last seen above it.
    bool above = false;
    uint64_t cgroup_id = 0;

private:
    std::string path_;
    std::string source_;
    std::string problem_;
    int fd_ = -1;
};

// The pressure files config asks for: the system's, and its cgroup's with a
// cgroup filter; none with pressure off. Each one that cannot be read says
// why to config.log, as a warning (mem.pressure records say it too).
std::vector<PsiFile> open_pressure_files(const Config& config);

}  // namespace tapio
