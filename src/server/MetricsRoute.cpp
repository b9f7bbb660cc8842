// GET /metrics (docs/API.md, "Prometheus metrics").

#include "server/MetricsRoute.hpp"

#include "metrics/Exposition.hpp"
#include "metrics/ProcessStats.hpp"
#include "server/AccessControl.hpp"
#include "server/Server.hpp"
#include "server/StatsSampler.hpp"
#include "util/Log.hpp"

#include <chrono>

namespace tinyice::server {

namespace {

std::int64_t unix_now() {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

template <class T>
std::uint64_t load(const std::atomic<T>& counter) {
    return counter.load(std::memory_order_relaxed);
}

} // namespace

metrics::MetricsInput
metrics_from_snapshot(const core::ServerSnapshot& snap, std::int64_t now_unix,
                      const std::function<std::string(const core::MountSnapshot&)>& origin_of) {
    metrics::MetricsInput in;
    in.uptime_seconds =
        snap.server_start > 0
            ? static_cast<double>(std::max<std::int64_t>(now_unix - snap.server_start, 0))
            : 0.0;
    in.server.connections_open = snap.clients;
    in.server.connections_total = snap.connections;
    in.server.listeners = snap.listeners;
    in.server.sources = snap.sources;
    in.server.listener_connections_total = snap.listener_connections;
    in.server.source_connections_total = snap.source_total_connections;
    in.mounts.reserve(snap.mounts.size());
    for (const auto& m : snap.mounts) {
        metrics::MountMetrics mm;
        mm.mount = m.mount;
        mm.listeners = m.listeners;
        mm.listener_peak = m.listener_peak;
        mm.bytes_in_total = m.total_bytes_read;
        mm.bytes_out_total = m.total_bytes_sent;
        mm.slow_listeners_total = m.slow_listeners;
        mm.source_connected = m.has_source;
        if (m.has_source) {
            if (m.stream_start > 0) {
                mm.source_uptime_seconds =
                    static_cast<double>(std::max<std::int64_t>(now_unix - m.stream_start, 0));
            }
            std::string origin = origin_of ? origin_of(m) : std::string();
            // The source may have left between the snapshot and the lookup: still a source in
            // this scrape, so still an origin.
            mm.origin = origin.empty() ? "live" : std::move(origin);
        }
        in.mounts.push_back(std::move(mm));
    }
    return in;
}

void register_metrics_route(http::Router& router, const Server& server, const AccessControl* access,
                            MetricsSources sources, std::string version) {
    router.add("GET", "/metrics", http::Access::admin,
               [&server, access, sources = std::move(sources),
                version = std::move(version)](http::Request&) {
                   const auto now = unix_now();
                   auto in = metrics_from_snapshot(server.snapshot(), now,
                                                   [&server](const core::MountSnapshot& m) {
                                                       return source_origin(server, m.mount);
                                                   });
                   in.version = version;
                   in.process = metrics::read_process_stats();

                   const auto& c = server.http_counters();
                   for (std::size_t code = 100; code < c.by_status.size(); ++code) {
                       if (auto n = load(c.by_status[code]); n > 0) {
                           in.http_requests[static_cast<int>(code)] = n;
                       }
                   }
                   in.auth_failures["admin_login"] = load(c.auth_admin_login);
                   in.auth_failures["source"] = load(c.auth_source);
                   in.auth_failures["token"] = load(c.auth_token);
                   in.auth_failures["basic"] = load(c.auth_basic);
                   in.auth_failures["csrf"] = load(c.auth_csrf);
                   if (access != nullptr) {
                       const auto& ac = access->counters();
                       in.lockouts["login"] = load(ac.login_lockouts);
                       in.lockouts["scan"] = load(ac.scan_lockouts);
                       in.bans_active = access->active_bans();
                   }
                   // A failing feature must not cost the whole scrape: its series are left out
                   // (and the failure logged) while everything else is still exported.
                   try {
                       if (sources.stations) {
                           in.stations = sources.stations();
                       }
                       if (sources.transcoders) {
                           in.transcoders = sources.transcoders();
                       }
                   } catch (const std::exception& e) {
                       util::logger("metrics")->warn("AutoDJ/transcoder metrics failed: {}",
                                                     e.what());
                   }
                   return http::Response::text(metrics::render_server_metrics(in),
                                               std::string(metrics::exposition_content_type));
               });
}

} // namespace tinyice::server
