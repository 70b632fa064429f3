// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "mem_pressure.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include "log.h"
#include "parse.h"

namespace tapio {

namespace {

// Stores a parsed value; false when there is none.
template <typename T>
bool store(std::optional<T> parsed, T& out)
{
    if (parsed)
        out = *parsed;
    return parsed.has_value();
}

// "avg10=0.00 avg60=0.00 avg300=0.00 total=0": averages in hundredths of a
// percent (the kernel always prints two decimals), total in microseconds.
bool parse_line(std::string_view rest, PsiLine& line)
{
    int seen = 0;
    while (!rest.empty()) {
        size_t space = rest.find(' ');
        std::string_view word = rest.substr(0, space);
        rest = space == std::string_view::npos ? std::string_view() : rest.substr(space + 1);
        size_t eq = word.find('=');
        if (eq == std::string_view::npos)
            continue;
        std::string_view key = word.substr(0, eq), value = word.substr(eq + 1);
        bool ok = true;
        if (key == "avg10") {
            ok = store(parse_percent(value), line.avg10);
            seen |= 1;
        } else if (key == "avg60") {
            ok = store(parse_percent(value), line.avg60);
            seen |= 2;
        } else if (key == "avg300") {
            ok = store(parse_percent(value), line.avg300);
            seen |= 4;
        } else if (key == "total") {
            ok = store(parse_uint(value), line.total_us);
            seen |= 8;
        }
        if (!ok)
            return false;
    }
    return seen == 15;
}

}  // namespace

std::optional<PsiSample> parse_psi(std::string_view text)
{
    PsiSample sample;
    bool has_some = false;
    while (!text.empty()) {
        size_t nl = text.find('\n');
        std::string_view line = text.substr(0, nl);
        text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
        if (line.rfind("some ", 0) == 0) {
            if (!parse_line(line.substr(5), sample.some))
                return std::nullopt;
            has_some = true;
        } else if (line.rfind("full ", 0) == 0) {
            if (!parse_line(line.substr(5), sample.full))
                return std::nullopt;
            sample.has_full = true;
        }
    }
    if (!has_some)
        return std::nullopt;
    return sample;
}

PsiFile::PsiFile(std::string path, std::string source) : path_(std::move(path)), source_(std::move(source))
{
    fd_ = open(path_.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd_ < 0) {
        int e = errno;
        if (e == ENOENT && source_ == "system")
            problem_ =
                fmt::format("{} is missing: this kernel has no pressure stall information (CONFIG_PSI off)", path_);
        else if (e == ENOENT)
            problem_ = fmt::format("{} is missing: the directory is not a cgroup v2 directory, or PSI is off", path_);
        else
            problem_ = fmt::format("cannot open {}: {}", path_, strerror(e));
        return;
    }
    struct stat st {};
    if (source_ == "cgroup") {
        std::string dir = path_.substr(0, path_.rfind('/'));
        if (stat(dir.c_str(), &st) == 0)
            cgroup_id = st.st_ino;
    }
    read();  // finds "PSI is off" (EOPNOTSUPP) before the first tick
}

PsiFile::PsiFile(PsiFile&& other) noexcept
    : above(other.above),
      cgroup_id(other.cgroup_id),
      path_(std::move(other.path_)),
      source_(std::move(other.source_)),
      problem_(std::move(other.problem_)),
      fd_(other.fd_)
{
    other.fd_ = -1;
}

PsiFile::~PsiFile()
{
    if (fd_ >= 0)
        close(fd_);
}

std::optional<PsiSample> PsiFile::read()
{
    if (fd_ < 0)
        return std::nullopt;
    char buf[512];
    ssize_t n = pread(fd_, buf, sizeof(buf) - 1, 0);
    if (n < 0) {
        int e = errno;
        if (e == EOPNOTSUPP)
            problem_ = fmt::format(
                "{}: pressure stall information is turned off (psi=0 on the kernel command line, "
                "or CONFIG_PSI_DEFAULT_DISABLED without psi=1)",
                path_);
        else
            problem_ = fmt::format("cannot read {}: {}", path_, strerror(e));
        close(fd_);
        fd_ = -1;
        return std::nullopt;
    }
    auto sample = parse_psi(std::string_view(buf, static_cast<size_t>(n)));
    if (!sample)
        problem_ = fmt::format("{}: not in the pressure file format", path_);
    return sample;
}

std::vector<PsiFile> open_pressure_files(const Config& config)
{
    std::vector<PsiFile> files;
    if (!config.mem.pressure)
        return files;
    files.emplace_back("/proc/pressure/memory", "system");
    if (!config.cgroup_path.empty()) {
        std::string dir = config.cgroup_path;
        while (dir.size() > 1 && dir.back() == '/')
            dir.pop_back();
        files.emplace_back(dir + "/memory.pressure", "cgroup");
    }
    for (const PsiFile& f : files)
        if (!f.problem().empty())
            log_message(config, LogLevel::warning, "mem",
                        fmt::format("no memory pressure records for {}: {}", f.source(), f.problem()));
    return files;
}

}  // namespace tapio
