#include "metrics/ProcessStats.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cstddef>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <string_view>
#include <sys/resource.h>
#include <unistd.h>

namespace tinyice::metrics {
namespace {

// Reads up to `buf.size()` bytes of a /proc file; the length read, 0 on any failure.
template <std::size_t N>
std::size_t read_proc_file(const char* path, std::array<char, N>& buf) {
    const int fd = ::open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return 0;
    }
    std::size_t total = 0;
    while (total < buf.size()) {
        const ssize_t n = ::read(fd, buf.data() + total, buf.size() - total);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            total = 0;
            break;
        }
        if (n == 0) {
            break;
        }
        total += static_cast<std::size_t>(n);
    }
    ::close(fd);
    return total;
}

std::uint64_t parse_u64(std::string_view s) {
    std::uint64_t value = 0;
    const auto res = std::from_chars(s.data(), s.data() + s.size(), value);
    return res.ec == std::errc{} ? value : 0;
}

// Boot time (unix seconds) from the "btime" line of /proc/stat. The file grows with the CPU and
// interrupt count (tens of KiB on large machines), so it is read in pieces, not whole.
std::uint64_t read_boot_time() {
    const int fd = ::open("/proc/stat", O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return 0;
    }
    constexpr std::string_view key = "\nbtime ";
    std::array<char, 8192> buf{};
    std::size_t kept = 0; // bytes carried over from the previous piece (a cut-off line)
    std::uint64_t btime = 0;
    for (;;) {
        const ssize_t n = ::read(fd, buf.data() + kept, buf.size() - kept);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            break;
        }
        const std::string_view text(buf.data(), kept + static_cast<std::size_t>(n));
        if (const auto at = text.find(key); at != std::string_view::npos) {
            const auto start = at + key.size();
            const auto end = text.find('\n', start);
            if (end != std::string_view::npos) {
                btime = parse_u64(text.substr(start, end - start));
                break;
            }
        }
        // Keep the tail after the last newline, with that newline (the key begins with one), so
        // a key or value split over two pieces is found next time. A line longer than the
        // buffer (the interrupt counts) cannot hold the key and is dropped.
        const auto last_newline = text.rfind('\n');
        kept = last_newline == std::string_view::npos ? 0 : text.size() - last_newline;
        if (kept >= buf.size() / 2) {
            kept = 0;
        }
        std::memmove(buf.data(), text.data() + text.size() - kept, kept);
    }
    ::close(fd);
    return btime;
}

// Counts /proc/self/fd entries, leaving out the descriptor of the directory stream itself.
std::uint64_t count_open_fds() {
    DIR* dir = ::opendir("/proc/self/fd");
    if (dir == nullptr) {
        return 0;
    }
    std::uint64_t count = 0;
    // readdir() is safe on a stream no other thread uses (readdir_r is deprecated).
    while (const dirent* entry = ::readdir(dir)) { // NOLINT(concurrency-mt-unsafe)
        if (entry->d_name[0] != '.') {
            ++count;
        }
    }
    ::closedir(dir);
    return count > 0 ? count - 1 : 0;
}

} // namespace

ProcessStats read_process_stats() noexcept {
    ProcessStats stats;

    // 1-based field numbers of /proc/self/stat (proc(5)).
    constexpr std::size_t field_utime = 14;
    constexpr std::size_t field_stime = 15;
    constexpr std::size_t field_num_threads = 20;
    constexpr std::size_t field_starttime = 22;
    constexpr std::size_t field_vsize = 23;
    constexpr std::size_t field_rss = 24;

    static const long ticks_per_second = ::sysconf(_SC_CLK_TCK);
    static const long page_size = ::sysconf(_SC_PAGESIZE);
    static const std::uint64_t boot_time = read_boot_time();

    std::array<char, 4096> buf{};
    const std::size_t size = read_proc_file("/proc/self/stat", buf);
    std::string_view text(buf.data(), size);
    // Field 2 is the command name in parentheses, which may itself hold spaces and ')'; the
    // numeric fields start after the last ')'.
    const auto paren = text.rfind(')');
    if (paren != std::string_view::npos && ticks_per_second > 0 && page_size > 0) {
        text.remove_prefix(paren + 1);
        std::uint64_t utime = 0;
        std::uint64_t stime = 0;
        std::uint64_t starttime = 0;
        std::size_t field = 2;
        while (!text.empty() && field < field_rss) {
            const auto begin = text.find_first_not_of(" \n");
            if (begin == std::string_view::npos) {
                break;
            }
            text.remove_prefix(begin);
            const auto end = std::min(text.find_first_of(" \n"), text.size());
            const std::string_view token = text.substr(0, end);
            text.remove_prefix(end);
            ++field;
            switch (field) {
            case field_utime:
                utime = parse_u64(token);
                break;
            case field_stime:
                stime = parse_u64(token);
                break;
            case field_num_threads:
                stats.threads = parse_u64(token);
                break;
            case field_starttime:
                starttime = parse_u64(token);
                break;
            case field_vsize:
                stats.virtual_bytes = parse_u64(token);
                break;
            case field_rss:
                stats.resident_bytes = parse_u64(token) * static_cast<std::uint64_t>(page_size);
                break;
            default:
                break;
            }
        }
        const auto ticks = static_cast<double>(ticks_per_second);
        stats.cpu_seconds = static_cast<double>(utime + stime) / ticks;
        if (boot_time > 0 && field >= field_starttime) {
            stats.start_time_seconds =
                static_cast<double>(boot_time) + static_cast<double>(starttime) / ticks;
        }
    }

    stats.open_fds = count_open_fds();

    rlimit limit{};
    if (::getrlimit(RLIMIT_NOFILE, &limit) == 0) {
        stats.max_fds = static_cast<std::uint64_t>(limit.rlim_cur);
    }
    return stats;
}

} // namespace tinyice::metrics
