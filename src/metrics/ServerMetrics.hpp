#pragma once
// The /metrics document: everything TinyIce exports to Prometheus, as one plain struct the server
// fills at scrape time (from core::ServerSnapshot, its counters and the feature managers) and one
// function that renders it. The struct holds exactly what is exported, so adding a metric means
// adding a field here and a line in render_server_metrics, and monitoring/ (dashboard, tests)
// can rely on the names below.
//
// Exported names (all tinyice_* families are always present, even with no samples):
//   tinyice_build_info{version}                         gauge, always 1
//   tinyice_uptime_seconds                              gauge
//   tinyice_connections_open                            gauge
//   tinyice_connections_total                           counter
//   tinyice_listeners, tinyice_sources                  gauge
//   tinyice_listener_connections_total                  counter
//   tinyice_source_connections_total                    counter
//   tinyice_http_requests_total{code}                   counter
//   tinyice_auth_failures_total{kind}                   counter; known kinds always there
//   tinyice_lockouts_total{kind}                        counter; known kinds always there
//   tinyice_bans_active                                 gauge
//   tinyice_mount_listeners{mount}                      gauge
//   tinyice_mount_listener_peak{mount}                  gauge
//   tinyice_mount_bytes_in_total{mount}                 counter
//   tinyice_mount_bytes_out_total{mount}                counter
//   tinyice_mount_slow_listeners_total{mount}           counter: dropped for lagging
//   tinyice_mount_source_connected{mount}               gauge 0/1
//   tinyice_mount_source_uptime_seconds{mount}          gauge, 0 without a source
//   tinyice_mount_source_origin{mount,origin}           gauge 1, mounts with a source only
//   tinyice_autodj_station_state{station,mount,state}   gauge 0/1 per state
//   tinyice_autodj_tracks_played_total{station,mount}   counter
//   tinyice_transcoder_running{transcoder}              gauge 0/1
//   process_resident_memory_bytes, process_virtual_memory_bytes, process_cpu_seconds_total,
//   process_open_fds, process_max_fds, process_start_time_seconds, process_threads

#include "metrics/ProcessStats.hpp"

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace tinyice::metrics {

struct MountMetrics {
    std::string mount; // "/live"
    std::uint64_t listeners = 0;
    std::uint64_t listener_peak = 0;
    std::uint64_t bytes_in_total = 0;       // bytes read from sources since the mount was created
    std::uint64_t bytes_out_total = 0;      // bytes sent to listeners
    std::uint64_t slow_listeners_total = 0; // listeners dropped for falling behind
    bool source_connected = false;
    double source_uptime_seconds = 0; // 0 without a source
    std::string origin;               // "live" | "autodj" | "transcoder"; "" = no source
};

struct ServerCounters {
    std::uint64_t connections_open = 0;
    std::uint64_t connections_total = 0; // accepted since start
    std::uint64_t listeners = 0;
    std::uint64_t sources = 0;
    std::uint64_t listener_connections_total = 0;
    std::uint64_t source_connections_total = 0;
};

// Mirrors autodj::PlayState (metrics does not depend on autodj; app/ maps one to the other).
enum class StationState { stopped, playing, paused };

struct StationMetrics {
    std::string station;
    std::string mount;
    StationState state = StationState::stopped;
    std::uint64_t tracks_played_total = 0;
};

struct TranscoderMetrics {
    std::string name;
    bool running = false;
};

// Kinds that are always exported (as 0 until they happen), so rate() and increase() see the
// first failure instead of a series that appears from nowhere. Other keys in the maps are
// exported too.
inline constexpr std::array<std::string_view, 5> auth_failure_kinds = {"admin_login", "source",
                                                                       "token", "basic", "csrf"};
inline constexpr std::array<std::string_view, 2> lockout_kinds = {"login", "scan"};

struct MetricsInput {
    std::string version; // "0.1.0", for tinyice_build_info
    ProcessStats process;
    double uptime_seconds = 0;
    ServerCounters server;
    std::vector<MountMetrics> mounts;           // a mount given twice is exported once (the first)
    std::map<int, std::uint64_t> http_requests; // by status code
    std::map<std::string, std::uint64_t> auth_failures; // by kind, see auth_failure_kinds
    std::map<std::string, std::uint64_t> lockouts;      // by kind, see lockout_kinds
    std::uint64_t bans_active = 0;
    std::vector<StationMetrics> stations;       // a station given twice is exported once
    std::vector<TranscoderMetrics> transcoders; // likewise
};

// The complete exposition text (serve it with exposition_content_type). Any strings are fine in
// the input (they are escaped); never throws except std::bad_alloc.
[[nodiscard]] std::string render_server_metrics(const MetricsInput& input);

} // namespace tinyice::metrics
