#include "metrics/ServerMetrics.hpp"

#include "metrics/Exposition.hpp"

#include <algorithm>
#include <string>
#include <unordered_set>

namespace tinyice::metrics {
namespace {

using M = MetricType;

// Exports a counter by kind: the known kinds first (0 when absent), then any others.
template <std::size_t N>
void by_kind(TextExposition& out, const std::array<std::string_view, N>& known,
             const std::map<std::string, std::uint64_t>& counts) {
    for (const std::string_view kind : known) {
        const auto it = counts.find(std::string(kind));
        out.sample({{"kind", std::string(kind)}}, it == counts.end() ? 0 : it->second);
    }
    for (const auto& [kind, count] : counts) {
        if (std::find(known.begin(), known.end(), kind) == known.end()) {
            out.sample({{"kind", kind}}, count);
        }
    }
}

// Keeps the first element of every name; the registries never hand out duplicates, but a
// duplicate series would make the exposition throw, and a scrape must not fail for it.
template <class T, class Key>
std::vector<const T*> unique_by(const std::vector<T>& items, Key key) {
    std::vector<const T*> out;
    out.reserve(items.size());
    std::unordered_set<std::string_view> seen;
    for (const T& item : items) {
        if (seen.insert(key(item)).second) {
            out.push_back(&item);
        }
    }
    return out;
}

void render_process(TextExposition& out, const ProcessStats& p) {
    out.family("process_cpu_seconds_total", M::counter,
               "Total user and system CPU time spent in seconds.");
    out.sample({}, p.cpu_seconds);
    out.family("process_resident_memory_bytes", M::gauge, "Resident memory size in bytes.");
    out.sample({}, p.resident_bytes);
    out.family("process_virtual_memory_bytes", M::gauge, "Virtual memory size in bytes.");
    out.sample({}, p.virtual_bytes);
    out.family("process_open_fds", M::gauge, "Number of open file descriptors.");
    out.sample({}, p.open_fds);
    out.family("process_max_fds", M::gauge, "Maximum number of open file descriptors.");
    out.sample({}, p.max_fds);
    out.family("process_start_time_seconds", M::gauge,
               "Start time of the process since unix epoch in seconds.");
    out.sample({}, p.start_time_seconds);
    out.family("process_threads", M::gauge, "Number of OS threads in the process.");
    out.sample({}, p.threads);
}

void render_server(TextExposition& out, const MetricsInput& in) {
    const ServerCounters& s = in.server;
    out.family("tinyice_build_info", M::gauge, "TinyIce version; the value is always 1.");
    out.sample({{"version", in.version}}, 1);
    out.family("tinyice_uptime_seconds", M::gauge, "Seconds since the server started.");
    out.sample({}, in.uptime_seconds);
    out.family("tinyice_connections_open", M::gauge, "Client connections open now.");
    out.sample({}, s.connections_open);
    out.family("tinyice_connections_total", M::counter, "Client connections accepted.");
    out.sample({}, s.connections_total);
    out.family("tinyice_listeners", M::gauge, "Listeners connected now, over all mounts.");
    out.sample({}, s.listeners);
    out.family("tinyice_sources", M::gauge, "Sources connected now.");
    out.sample({}, s.sources);
    out.family("tinyice_listener_connections_total", M::counter, "Listener connections accepted.");
    out.sample({}, s.listener_connections_total);
    out.family("tinyice_source_connections_total", M::counter, "Source connections accepted.");
    out.sample({}, s.source_connections_total);

    out.family("tinyice_http_requests_total", M::counter, "HTTP responses sent, by status code.");
    for (const auto& [code, count] : in.http_requests) {
        out.sample({{"code", std::to_string(code)}}, count);
    }
    out.family("tinyice_auth_failures_total", M::counter,
               "Rejected credentials, by kind (admin_login, source, token, basic, csrf).");
    by_kind(out, auth_failure_kinds, in.auth_failures);
    out.family("tinyice_lockouts_total", M::counter,
               "Addresses locked out, by kind (login: failed logins, scan: path scanning).");
    by_kind(out, lockout_kinds, in.lockouts);
    out.family("tinyice_bans_active", M::gauge, "Addresses banned now.");
    out.sample({}, in.bans_active);
}

void render_mounts(TextExposition& out, const std::vector<MountMetrics>& all) {
    const auto mounts =
        unique_by(all, [](const MountMetrics& m) -> std::string_view { return m.mount; });
    out.family("tinyice_mount_listeners", M::gauge, "Listeners connected to the mount now.");
    for (const MountMetrics* m : mounts) {
        out.sample({{"mount", m->mount}}, m->listeners);
    }
    out.family("tinyice_mount_listener_peak", M::gauge,
               "Most listeners connected to the mount at once.");
    for (const MountMetrics* m : mounts) {
        out.sample({{"mount", m->mount}}, m->listener_peak);
    }
    out.family("tinyice_mount_bytes_in_total", M::counter, "Bytes received from the source.");
    for (const MountMetrics* m : mounts) {
        out.sample({{"mount", m->mount}}, m->bytes_in_total);
    }
    out.family("tinyice_mount_bytes_out_total", M::counter, "Bytes sent to listeners.");
    for (const MountMetrics* m : mounts) {
        out.sample({{"mount", m->mount}}, m->bytes_out_total);
    }
    out.family("tinyice_mount_slow_listeners_total", M::counter,
               "Listeners disconnected because they fell too far behind the stream.");
    for (const MountMetrics* m : mounts) {
        out.sample({{"mount", m->mount}}, m->slow_listeners_total);
    }
    out.family("tinyice_mount_source_connected", M::gauge,
               "1 while a source feeds the mount, else 0.");
    for (const MountMetrics* m : mounts) {
        out.sample({{"mount", m->mount}}, m->source_connected);
    }
    out.family("tinyice_mount_source_uptime_seconds", M::gauge,
               "Seconds since the current source connected; 0 without a source.");
    for (const MountMetrics* m : mounts) {
        out.sample({{"mount", m->mount}}, m->source_connected ? m->source_uptime_seconds : 0.0);
    }
    out.family("tinyice_mount_source_origin", M::gauge,
               "Where the current source comes from (live, autodj, transcoder); always 1.");
    for (const MountMetrics* m : mounts) {
        if (m->source_connected) {
            out.sample({{"mount", m->mount}, {"origin", m->origin}}, 1);
        }
    }
}

void render_autodj(TextExposition& out, const MetricsInput& in) {
    const auto stations = unique_by(
        in.stations, [](const StationMetrics& s) -> std::string_view { return s.station; });
    struct StateName {
        StationState state;
        const char* name;
    };
    constexpr std::array<StateName, 3> states = {{{StationState::playing, "playing"},
                                                  {StationState::paused, "paused"},
                                                  {StationState::stopped, "stopped"}}};
    out.family("tinyice_autodj_station_state", M::gauge,
               "1 for the AutoDJ station's current state (playing, paused, stopped), else 0.");
    for (const StationMetrics* s : stations) {
        for (const StateName& st : states) {
            out.sample({{"station", s->station}, {"mount", s->mount}, {"state", st.name}},
                       s->state == st.state);
        }
    }
    out.family("tinyice_autodj_tracks_played_total", M::counter,
               "Tracks the AutoDJ station started playing.");
    for (const StationMetrics* s : stations) {
        out.sample({{"station", s->station}, {"mount", s->mount}}, s->tracks_played_total);
    }

    const auto transcoders = unique_by(
        in.transcoders, [](const TranscoderMetrics& t) -> std::string_view { return t.name; });
    out.family("tinyice_transcoder_running", M::gauge, "1 while the transcoder runs, else 0.");
    for (const TranscoderMetrics* t : transcoders) {
        out.sample({{"transcoder", t->name}}, t->running);
    }
}

} // namespace

std::string render_server_metrics(const MetricsInput& input) {
    TextExposition out;
    render_server(out, input);
    render_mounts(out, input.mounts);
    render_autodj(out, input);
    render_process(out, input.process);
    return out.finish();
}

} // namespace tinyice::metrics
