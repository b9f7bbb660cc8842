#pragma once
// Listener statistics: one row per finished listener connection (mount, times, user agent, an
// anonymised address, bytes) and the listener count of every mount sampled once a minute. Both
// are written by a background thread (one bounded queue for both), so a listener leaving never
// waits for the disk; readers query directly.
//
// Minutes are unix minutes (ms / 60000); a minute belongs to a time range [from, to) when its
// start (minute * 60000) does.

#include "storage/BackgroundWriter.hpp"
#include "storage/Database.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace tinyice::storage {

struct ListenerSessionRecord {
    std::string mount;
    std::int64_t started_at = 0; // unix ms
    std::int64_t ended_at = 0;   // unix ms; the duration is ended_at - started_at (0 if less)
    std::string user_agent;      // clipped to max_user_agent_bytes
    std::string ip_anon;         // anonymised by the caller ("1.2.3.0")
    std::uint64_t bytes = 0;     // sent to the listener
};

struct ListenerPoint {
    std::int64_t at = 0; // bucket start, unix ms
    double listeners = 0;
    bool operator==(const ListenerPoint&) const = default;
};

class ListenerStatsStore {
public:
    static constexpr std::size_t max_user_agent_bytes = 512;
    static constexpr std::size_t max_ip_bytes = 64;
    // series() returns at most this many points; a finer bucket_ms is widened to fit.
    static constexpr std::int64_t max_series_points = 10000;
    static constexpr std::size_t max_top_user_agents = 1000;

    // `queue_limit`: pending rows (sessions and minutes) beyond which new ones are dropped.
    explicit ListenerStatsStore(Database& db, std::size_t queue_limit = 100000);
    ~ListenerStatsStore(); // writes what is queued, then stops the writer
    ListenerStatsStore(const ListenerStatsStore&) = delete;
    ListenerStatsStore& operator=(const ListenerStatsStore&) = delete;

    // Queue a row; never block on I/O.
    void record_session(ListenerSessionRecord s);
    // A second sample of the same mount and minute replaces the first.
    void record_minute(std::string_view mount, std::int64_t minute, std::uint64_t listeners);
    // Returns once every row queued before the call is written.
    void flush();

    // Listener counts of `mount` ("" = the sum over all mounts) in [from, to), in buckets
    // [from + k * bucket_ms, from + (k + 1) * bucket_ms): each point is the average of the
    // stored minutes in its bucket; buckets without any are omitted (the server was not
    // sampling then, which is not the same as nobody listening). bucket_ms is at least a
    // minute and is widened when the range would need more than max_series_points buckets.
    // Negative times count as 0.
    [[nodiscard]] std::vector<ListenerPoint> series(std::string_view mount, std::int64_t from,
                                                    std::int64_t to, std::int64_t bucket_ms) const;
    // Most frequent user agents of sessions that started in [from, to), with their session
    // counts, most frequent first (ties by name); "" stands for sessions without one. `limit`
    // is capped at max_top_user_agents.
    [[nodiscard]] std::vector<std::pair<std::string, std::uint64_t>>
    top_user_agents(std::int64_t from, std::int64_t to, std::size_t limit) const;

    struct Summary {
        std::uint64_t sessions = 0;
        double average_seconds = 0;
        std::uint64_t total_seconds = 0;
        bool operator==(const Summary&) const = default;
    };
    // Sessions of `mount` ("" = all mounts) that started in [from, to).
    [[nodiscard]] Summary summary(std::string_view mount, std::int64_t from, std::int64_t to) const;
    // Mounts with a session that started, or a sampled minute, in [from, to); sorted.
    [[nodiscard]] std::vector<std::string> mounts(std::int64_t from, std::int64_t to) const;

    // Deletes sessions that started, and minutes that began, before `older_than_ms`; returns
    // how many rows (of both kinds).
    std::size_t prune(std::int64_t older_than_ms);
    // Rows refused because the queue was full, plus rows whose write failed.
    [[nodiscard]] std::uint64_t dropped() const;

private:
    struct MinuteSample {
        std::string mount;
        std::int64_t minute = 0;
        std::uint64_t listeners = 0;
    };
    using Row = std::variant<ListenerSessionRecord, MinuteSample>;

    static void write_rows(Database& database, const std::vector<Row>& batch);

    Database& db_;
    detail::BackgroundWriter<Row> writer_; // last: its thread writes through db_
};

} // namespace tinyice::storage
