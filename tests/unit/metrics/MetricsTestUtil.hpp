#pragma once
// Shared by the metrics tests: a MetricsInput that fills every field (so a render has every
// family with samples), temporary files, and running Python checkers (Debian's
// python3-prometheus-client provides the reference text-format parser).

#include "metrics/ServerMetrics.hpp"
#include "util/Subprocess.hpp"

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <system_error>
#include <unistd.h>
#include <vector>

namespace tinyice::metrics::test {

// Every field set, with awkward strings (quotes, backslashes, newlines, UTF-8) in the labels.
inline MetricsInput full_input() {
    MetricsInput in;
    in.version = "0.1.0";
    in.process = ProcessStats{.resident_bytes = 52428800,
                              .virtual_bytes = 734003200,
                              .cpu_seconds = 12.34,
                              .threads = 9,
                              .open_fds = 123,
                              .max_fds = 1048576,
                              .start_time_seconds = 1700000000.5};
    in.uptime_seconds = 3600;
    in.server = ServerCounters{.connections_open = 17,
                               .connections_total = 4242,
                               .listeners = 15,
                               .sources = 2,
                               .listener_connections_total = 4000,
                               .source_connections_total = 12};
    in.mounts = {
        MountMetrics{.mount = "/live",
                     .listeners = 12,
                     .listener_peak = 40,
                     .bytes_in_total = 1234567890123ULL,
                     .bytes_out_total = 98765432109876ULL,
                     .slow_listeners_total = 3,
                     .source_connected = true,
                     .source_uptime_seconds = 1800.5,
                     .origin = "live"},
        MountMetrics{.mount = "/autodj.ogg",
                     .listeners = 3,
                     .listener_peak = 5,
                     .bytes_in_total = 1000,
                     .bytes_out_total = 3000,
                     .source_connected = true,
                     .source_uptime_seconds = 60,
                     .origin = "autodj"},
        MountMetrics{.mount = "/we\"ird\\name\nCaf\xC3\xA9", .listeners = 1},
        MountMetrics{.mount = "/idle", .origin = "live"}, // origin ignored without a source
    };
    in.http_requests = {{200, 5000}, {401, 12}, {404, 7}, {503, 1}};
    in.auth_failures = {{"admin_login", 4}, {"source", 2}, {"future_kind", 1}};
    in.lockouts = {{"scan", 1}};
    in.bans_active = 2;
    in.stations = {
        StationMetrics{.station = "main",
                       .mount = "/autodj.ogg",
                       .state = StationState::playing,
                       .tracks_played_total = 321},
        StationMetrics{.station = "night", .mount = "/night", .state = StationState::paused},
    };
    in.transcoders = {TranscoderMetrics{.name = "live-opus", .running = true},
                      TranscoderMetrics{.name = "live-aac", .running = false}};
    return in;
}

// A file in the temporary directory, removed again when this goes out of scope.
class TempFile {
public:
    explicit TempFile(std::string_view contents) {
        std::string pattern = (std::filesystem::temp_directory_path() / "tinyice-metrics-XXXXXX");
        const int fd = ::mkstemp(pattern.data());
        if (fd >= 0) {
            ::close(fd);
            path_ = pattern;
            std::ofstream(path_, std::ios::binary) << contents;
        }
    }
    ~TempFile() {
        if (!path_.empty()) {
            std::error_code ec;
            std::filesystem::remove(path_, ec);
        }
    }
    TempFile(const TempFile&) = delete;
    TempFile& operator=(const TempFile&) = delete;

    [[nodiscard]] const std::filesystem::path& path() const { return path_; }

private:
    std::filesystem::path path_;
};

// The first Python 3 that can `import module`: Debian's /usr/bin/python3 first (where the apt
// packages install), then whatever `python3` is in PATH. Empty when there is none.
inline std::string find_python(std::string_view module) {
    for (const char* candidate : {"/usr/bin/python3", "python3"}) {
        const auto r = util::run_command({candidate, "-c", "import " + std::string(module)}, {},
                                         std::chrono::seconds(20));
        if (r.ok()) {
            return candidate;
        }
    }
    return {};
}

inline util::CommandResult run_python(const std::string& python, const std::string& script,
                                      const std::vector<std::string>& args) {
    std::vector<std::string> argv = {python, "-c", script};
    argv.insert(argv.end(), args.begin(), args.end());
    return util::run_command(argv, {}, std::chrono::seconds(30), 4 * 1024 * 1024);
}

inline std::vector<std::string> split_lines(std::string_view text) {
    std::vector<std::string> lines;
    while (!text.empty()) {
        const auto end = text.find('\n');
        lines.emplace_back(text.substr(0, end));
        if (end == std::string_view::npos) {
            break;
        }
        text.remove_prefix(end + 1);
    }
    return lines;
}

// The source tree's monitoring/ folder (this file is tests/unit/metrics/).
inline std::filesystem::path monitoring_dir() {
    return std::filesystem::path(__FILE__).parent_path().parent_path().parent_path().parent_path() /
           "monitoring";
}

} // namespace tinyice::metrics::test
