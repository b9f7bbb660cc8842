#include "server/StatsSampler.hpp"

#include "server/Server.hpp"
#include "util/Log.hpp"

#include <boost/json.hpp>

#include <cmath>

namespace tinyice::server {

namespace json = boost::json;

namespace {

std::int64_t unix_ms_now() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

json::object server_document(std::uint64_t listeners, std::uint64_t sources,
                             std::uint64_t connections, json::value uptime, std::uint64_t in_bps,
                             std::uint64_t out_bps, json::value sampled_at, json::array mounts) {
    json::object o;
    o["listeners"] = listeners;
    o["sources"] = sources;
    o["connections"] = connections;
    o["uptime"] = std::move(uptime);
    o["bandwidth_in_bps"] = in_bps;
    o["bandwidth_out_bps"] = out_bps;
    o["sampled_at"] = std::move(sampled_at);
    o["mounts"] = std::move(mounts);
    return o;
}

json::object empty_document() {
    json::object o;
    o["server"] = server_document(0, 0, 0, 0, 0, 0, 0, {});
    o["mounts"] = json::array{};
    return o;
}

std::uint64_t as_u64(const json::object& o, std::string_view key) {
    const auto* v = o.if_contains(key);
    if (v == nullptr) {
        return 0;
    }
    if (v->is_uint64()) {
        return v->get_uint64();
    }
    if (v->is_int64()) {
        return v->get_int64() > 0 ? static_cast<std::uint64_t>(v->get_int64()) : 0;
    }
    return 0;
}

// The source of a live mount, null without one.
json::value source_json(const core::MountSnapshot& m, const std::string& origin) {
    if (!m.has_source) {
        return nullptr;
    }
    json::object s;
    s["ip"] = m.source_ip;
    s["user_agent"] = m.user_agent;
    s["content_type"] = m.content_type;
    s["origin"] = origin.empty() ? "live" : origin;
    s["connected_at"] = m.stream_start * 1000; // the mount keeps whole seconds
    if (m.bitrate) {
        s["bitrate"] = *m.bitrate;
    } else {
        s["bitrate"] = nullptr;
    }
    return s;
}

} // namespace

std::uint64_t bits_per_second(std::uint64_t before, std::uint64_t after, double seconds) {
    if (!(seconds > 0)) {
        return 0;
    }
    const std::uint64_t bytes = after >= before ? after - before : after;
    return static_cast<std::uint64_t>(std::llround(static_cast<double>(bytes) * 8.0 / seconds));
}

StatsSampler::StatsSampler(Sources sources, std::chrono::milliseconds interval)
    : sources_(std::move(sources)), interval_(std::max(interval, std::chrono::milliseconds(10))) {
    latest_.store(std::make_shared<const json::object>(empty_document()));
}

StatsSampler::StatsSampler(Server& server, std::chrono::milliseconds interval)
    : StatsSampler(Sources{[&server] { return server.snapshot(); },
                           [&server](const core::MountSnapshot& m) {
                               return source_origin(server, m.mount);
                           }},
                   interval) {}

StatsSampler::~StatsSampler() {
    stop();
}

void StatsSampler::start() {
    if (thread_.joinable()) {
        return;
    }
    {
        std::lock_guard lock(mutex_);
        stopping_ = false;
    }
    thread_ = std::thread([this] { run(); });
}

void StatsSampler::stop() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) {
        thread_.join();
    }
}

void StatsSampler::run() {
    auto log = util::logger("stats");
    // Samples are due on a fixed grid (start + k * interval) so the rate windows do not drift;
    // after a stall (suspend, overload) the grid restarts from now instead of catching up.
    auto due = std::chrono::steady_clock::now();
    std::unique_lock lock(mutex_);
    while (!stopping_) {
        lock.unlock();
        try {
            sample_now();
        } catch (const std::exception& e) {
            // A failed sample keeps the previous document; the next one tries again.
            log->warn("statistics sample failed: {}", e.what());
        }
        lock.lock();
        due += interval_;
        const auto now = std::chrono::steady_clock::now();
        if (due <= now) {
            due = now + interval_;
        }
        wake_.wait_until(lock, due, [this] { return stopping_; });
    }
}

void StatsSampler::sample_now() {
    const auto snap = sources_.snapshot();
    sample(snap, std::chrono::steady_clock::now(), unix_ms_now());
}

void StatsSampler::sample(const core::ServerSnapshot& snap,
                          std::chrono::steady_clock::time_point now, std::int64_t unix_ms) {
    double seconds = 0;
    if (have_previous_) {
        seconds = std::chrono::duration<double>(now - previous_at_).count();
    }
    std::unordered_map<std::string, Counters> current;
    current.reserve(snap.mounts.size());
    std::uint64_t total_in = 0;
    std::uint64_t total_out = 0;
    json::array mounts;        // the live feed's entries
    json::array server_mounts; // GET /api/stats/server's
    mounts.reserve(snap.mounts.size());
    server_mounts.reserve(snap.mounts.size());
    for (const auto& m : snap.mounts) {
        const Counters now_counters{m.total_bytes_read, m.total_bytes_sent};
        std::uint64_t in_bps = 0;
        std::uint64_t out_bps = 0;
        if (auto it = previous_.find(m.mount); it != previous_.end()) {
            in_bps = bits_per_second(it->second.bytes_in, now_counters.bytes_in, seconds);
            out_bps = bits_per_second(it->second.bytes_out, now_counters.bytes_out, seconds);
        }
        current.emplace(m.mount, now_counters);
        total_in += in_bps;
        total_out += out_bps;

        json::object brief;
        brief["mount"] = m.mount;
        brief["listeners"] = m.listeners;
        brief["bandwidth_in_bps"] = in_bps;
        brief["bandwidth_out_bps"] = out_bps;
        server_mounts.push_back(std::move(brief));

        json::object o;
        o["mount"] = m.mount;
        o["live"] = m.has_source;
        o["listeners"] = m.listeners;
        o["bandwidth_in_bps"] = in_bps;
        o["bandwidth_out_bps"] = out_bps;
        o["title"] = m.title;
        std::string origin;
        if (m.has_source) {
            origin = sources_.origin ? sources_.origin(m) : std::string("live");
        }
        o["source"] = source_json(m, origin);
        mounts.push_back(std::move(o));
    }
    // A time that does not advance gives no rates; keep the older baseline so the next sample
    // measures over a real interval.
    if (!have_previous_ || seconds > 0) {
        previous_ = std::move(current);
        previous_at_ = now;
        have_previous_ = true;
    } else {
        // Still forget mounts that disappeared and learn new ones.
        for (auto it = previous_.begin(); it != previous_.end();) {
            it = current.contains(it->first) ? std::next(it) : previous_.erase(it);
        }
        for (auto& [name, c] : current) {
            previous_.try_emplace(name, c);
        }
    }

    const std::int64_t uptime = snap.server_start > 0 ? unix_ms / 1000 - snap.server_start : 0;
    json::object doc;
    doc["server"] = server_document(snap.listeners, snap.sources, snap.clients,
                                    std::max<std::int64_t>(uptime, 0), total_in, total_out,
                                    unix_ms, std::move(server_mounts));
    doc["mounts"] = std::move(mounts);

    auto published = std::make_shared<const json::object>(std::move(doc));
    latest_.store(published, std::memory_order_release);
    version_.fetch_add(1, std::memory_order_acq_rel);
    if (observer_) {
        observer_(published);
    }
}

std::string source_origin(const Server& server, std::string_view mount) {
    auto m = server.find_mount(mount);
    auto info = m && m->has_source() ? m->source_info() : nullptr;
    if (!info) {
        return {};
    }
    return info->origin.empty() ? std::string("live") : info->origin;
}

json::object server_stats_for(const json::object& latest, const http::Principal& who) {
    const auto* server = latest.if_contains("server");
    if (server == nullptr || !server->is_object()) {
        return empty_document().at("server").as_object();
    }
    const auto& all = server->get_object();
    if (who.is_admin()) {
        return all;
    }
    auto mine = [&who](const json::value& v) -> const json::object* {
        const auto* m = v.if_object();
        if (m == nullptr) {
            return nullptr;
        }
        const auto* name = m->if_contains("mount");
        if (name == nullptr || !name->is_string() ||
            !who.may_manage_mount(std::string_view(name->get_string()))) {
            return nullptr;
        }
        return m;
    };
    json::array mounts;
    std::uint64_t listeners = 0;
    std::uint64_t in = 0;
    std::uint64_t out = 0;
    if (const auto* list = all.if_contains("mounts"); list != nullptr && list->is_array()) {
        for (const auto& v : list->get_array()) {
            if (const auto* m = mine(v)) {
                listeners += as_u64(*m, "listeners");
                in += as_u64(*m, "bandwidth_in_bps");
                out += as_u64(*m, "bandwidth_out_bps");
                mounts.push_back(*m);
            }
        }
    }
    // Whether a mount is live is in the feed's entries.
    std::uint64_t sources = 0;
    if (const auto* list = latest.if_contains("mounts"); list != nullptr && list->is_array()) {
        for (const auto& v : list->get_array()) {
            if (const auto* m = mine(v)) {
                const auto* live = m->if_contains("live");
                sources += live != nullptr && live->is_bool() && live->get_bool() ? 1 : 0;
            }
        }
    }
    auto kept = [&all](std::string_view key) {
        const auto* v = all.if_contains(key);
        return v != nullptr ? *v : json::value(0);
    };
    return server_document(listeners, sources, listeners + sources, kept("uptime"), in, out,
                           kept("sampled_at"), std::move(mounts));
}

} // namespace tinyice::server
