#pragma once
// The statistics part of the JSON API (docs/API.md, "Statistics"): listeners over time, top
// user agents, session totals (from storage::ListenerStatsStore) and the live document of the
// StatsSampler. Administrators see every mount; a DJ only the mounts they own, and "all mounts
// together" (no `mount=`) is for administrators only.

#include "http/Router.hpp"

#include <cstdint>
#include <optional>
#include <string_view>

namespace tinyice::storage {
class ListenerStatsStore;
}

namespace tinyice::server {

class StatsSampler;

// A `range=` value and the bucket width its charts use.
struct StatsRange {
    std::string_view name;      // "1h", "24h", "7d", "30d"
    std::int64_t span_ms = 0;   // how far back
    std::int64_t bucket_ms = 0; // 1 min, 5 min, 1 h, 6 h
    bool operator==(const StatsRange&) const = default;
};

inline constexpr std::string_view default_stats_range = "24h";

// nullopt for anything but the four names above (exact, lower case).
[[nodiscard]] std::optional<StatsRange> parse_stats_range(std::string_view text);

// The time window [from, to) of `range` ending at `now_ms`: `from` is rounded up to a bucket
// boundary (unix epoch based), so buckets are stable between requests and none starts before
// the range.
struct StatsWindow {
    std::int64_t from = 0;
    std::int64_t to = 0;
    bool operator==(const StatsWindow&) const = default;
};
[[nodiscard]] StatsWindow stats_window(const StatsRange& range, std::int64_t now_ms);

// GET /api/stats/listeners, /api/stats/user-agents, /api/stats/sessions, /api/stats/server.
// `store` null: the first three answer 503; `sampler` null: /api/stats/server answers 503.
// Both must outlive the router's use.
void register_stats_routes(http::Router& router, storage::ListenerStatsStore* store,
                           const StatsSampler* sampler);

} // namespace tinyice::server
