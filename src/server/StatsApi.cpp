// JSON API: listener statistics and the live server statistics (docs/API.md, "Statistics").

#include "server/StatsApi.hpp"

#include "protocol/http/Query.hpp"
#include "server/StatsSampler.hpp"
#include "storage/Database.hpp"
#include "storage/ListenerStatsStore.hpp"

#include <boost/json.hpp>

#include <array>
#include <charconv>
#include <cmath>

namespace tinyice::server {

namespace json = boost::json;
using http::HttpError;
using http::Request;
using http::Response;

namespace {

constexpr std::int64_t minute_ms = 60'000;
constexpr std::int64_t hour_ms = 60 * minute_ms;

constexpr std::array<StatsRange, 4> ranges{{
    {"1h", hour_ms, minute_ms},
    {"24h", 24 * hour_ms, 5 * minute_ms},
    {"7d", 7 * 24 * hour_ms, hour_ms},
    {"30d", 30 * 24 * hour_ms, 6 * hour_ms},
}};

constexpr std::size_t default_agent_limit = 10;

StatsRange range_param(const Request& req, std::string_view fallback) {
    auto text = req.query.get("range");
    auto range = parse_stats_range(text ? std::string_view(*text) : fallback);
    if (!range) {
        throw HttpError(400, "range: expected 1h, 24h, 7d or 30d");
    }
    return *range;
}

// The mount a request asks about; "" = all mounts together (administrators only).
std::string mount_param(const Request& req) {
    auto wanted = req.query.get("mount");
    if (!wanted || wanted->empty()) {
        if (!req.principal.is_admin()) {
            throw HttpError(403, "mount: name one of your mounts (all mounts together are for "
                                 "administrators)");
        }
        return {};
    }
    std::string raw = wanted->front() == '/' ? *wanted : "/" + *wanted;
    auto name = protocol::http::normalize_mount_path(raw);
    if (!name) {
        throw HttpError(400, "mount: not a valid mount name");
    }
    if (!req.principal.may_manage_mount(*name)) {
        throw HttpError(403, "mount: not one of your mounts");
    }
    return *name;
}

json::value mount_json(const std::string& mount) {
    return mount.empty() ? json::value(nullptr) : json::value(mount);
}

// Averages with two decimals; whole numbers as integers, so charts get "3", not "3E0".
json::value listeners_value(double v) {
    const double rounded = std::round(v * 100.0) / 100.0;
    if (rounded == std::floor(rounded) && std::abs(rounded) < 9.0e15) {
        return static_cast<std::int64_t>(rounded);
    }
    return rounded;
}

storage::ListenerStatsStore& require(storage::ListenerStatsStore* store) {
    if (store == nullptr) {
        throw HttpError(503, "listener statistics are not available");
    }
    return *store;
}

} // namespace

std::optional<StatsRange> parse_stats_range(std::string_view text) {
    for (const auto& r : ranges) {
        if (r.name == text) {
            return r;
        }
    }
    return std::nullopt;
}

StatsWindow stats_window(const StatsRange& range, std::int64_t now_ms) {
    const std::int64_t start = std::max<std::int64_t>(now_ms - range.span_ms, 0);
    const std::int64_t from = (start + range.bucket_ms - 1) / range.bucket_ms * range.bucket_ms;
    // The current minute counts: its sample is stored under the minute's start, <= now.
    return StatsWindow{from, std::max(now_ms + 1, from)};
}

void register_stats_routes(http::Router& router, storage::ListenerStatsStore* store,
                           const StatsSampler* sampler) {
    using http::Access;
    router.add("GET", "/api/stats/listeners", Access::user, [store](Request& req) {
        auto& stats = require(store);
        const auto mount = mount_param(req);
        const auto range = range_param(req, default_stats_range);
        const auto window = stats_window(range, storage::unix_ms_now());
        json::array points;
        for (const auto& p : stats.series(mount, window.from, window.to, range.bucket_ms)) {
            points.push_back(json::array{p.at, listeners_value(p.listeners)});
        }
        json::object o;
        o["mount"] = mount_json(mount);
        o["range"] = range.name;
        o["bucket_ms"] = range.bucket_ms;
        o["from"] = window.from;
        o["to"] = window.to;
        o["points"] = std::move(points);
        return Response::json(o);
    });
    router.add("GET", "/api/stats/user-agents", Access::admin, [store](Request& req) {
        auto& stats = require(store);
        const auto range = range_param(req, "7d");
        std::size_t limit = default_agent_limit;
        if (auto l = req.query.get("limit")) {
            std::size_t n = 0;
            auto [ptr, ec] = std::from_chars(l->data(), l->data() + l->size(), n);
            if (l->empty() || ec != std::errc() || ptr != l->data() + l->size() || n == 0 ||
                n > storage::ListenerStatsStore::max_top_user_agents) {
                throw HttpError(
                    400, "limit: expected 1.." +
                             std::to_string(storage::ListenerStatsStore::max_top_user_agents));
            }
            limit = n;
        }
        const auto window = stats_window(range, storage::unix_ms_now());
        json::array agents;
        for (const auto& [agent, sessions] : stats.top_user_agents(window.from, window.to, limit)) {
            agents.push_back(json::object{{"user_agent", agent}, {"sessions", sessions}});
        }
        json::object o;
        o["range"] = range.name;
        o["agents"] = std::move(agents);
        return Response::json(o);
    });
    router.add("GET", "/api/stats/sessions", Access::user, [store](Request& req) {
        auto& stats = require(store);
        const auto mount = mount_param(req);
        const auto range = range_param(req, default_stats_range);
        const auto window = stats_window(range, storage::unix_ms_now());
        const auto s = stats.summary(mount, window.from, window.to);
        json::object o;
        o["mount"] = mount_json(mount);
        o["range"] = range.name;
        o["sessions"] = s.sessions;
        o["average_seconds"] = std::round(s.average_seconds * 10.0) / 10.0;
        o["total_seconds"] = s.total_seconds;
        return Response::json(o);
    });
    router.add("GET", "/api/stats/server", Access::user, [sampler](Request& req) {
        if (sampler == nullptr) {
            throw HttpError(503, "live statistics are not available");
        }
        return Response::json(server_stats_for(*sampler->latest(), req.principal));
    });
}

} // namespace tinyice::server
