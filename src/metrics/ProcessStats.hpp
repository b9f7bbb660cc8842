#pragma once
// Resource usage of this process, read from /proc for the standard process_* metrics that
// Prometheus client libraries export (so stock dashboards and alerts work unchanged).

#include <cstdint>

namespace tinyice::metrics {

struct ProcessStats {
    std::uint64_t resident_bytes = 0; // resident set size
    std::uint64_t virtual_bytes = 0;  // virtual memory size
    double cpu_seconds = 0;           // user + system CPU time since start
    std::uint64_t threads = 0;
    std::uint64_t open_fds = 0;    // open file descriptors (sockets included)
    std::uint64_t max_fds = 0;     // RLIMIT_NOFILE soft limit
    double start_time_seconds = 0; // unix time the process started
};

// Reads /proc/self/stat, /proc/self/fd and RLIMIT_NOFILE (the boot time from /proc/stat only
// once per process). Cheap enough for every scrape: a few syscalls plus one directory entry per
// open descriptor. Never throws; a field that cannot be read is 0.
[[nodiscard]] ProcessStats read_process_stats() noexcept;

} // namespace tinyice::metrics
