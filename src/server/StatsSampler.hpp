#pragma once
// The live statistics document ("now"): totals and bandwidth per mount, rebuilt once a second
// from Server::snapshot(). Bandwidth is computed from the byte counters of two consecutive
// snapshots, so it needs a clock and memory, which is why it lives here and not in the
// snapshot. The document has the shape of the studio's live feed (/admin/events, which adds
// "stations" and each mount's "level"); its "server" member is GET /api/stats/server:
//   {"server": {"listeners", "sources", "connections", "uptime", "bandwidth_in_bps",
//               "bandwidth_out_bps", "sampled_at": unix ms,
//               "mounts": [{"mount", "listeners", "bandwidth_in_bps", "bandwidth_out_bps"}]},
//    "mounts": [{"mount", "live", "listeners", "bandwidth_in_bps", "bandwidth_out_bps",
//                "title", "source": {"ip", "user_agent", "content_type", "origin",
//                                    "connected_at", "bitrate"} | null}]}
// (docs/API.md, "Statistics" and "Live events"). Every mount the server knows (configured or
// with a source, hidden ones included) is listed, sorted by name; server_stats_for() cuts the
// "server" part down to what a caller may see.
//
// Threads: the sampler runs on a thread of its own (never on an event loop); latest() and
// version() are lock-free and may be called from any thread. sample() is for tests and the
// sampler's own thread, one caller at a time.

#include "core/Snapshot.hpp"
#include "http/Router.hpp"

#include <boost/json/object.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>

namespace tinyice::server {

class Server;

class StatsSampler {
public:
    struct Sources {
        // The server's state now (Server::snapshot()).
        std::function<core::ServerSnapshot()> snapshot;
        // Who feeds a live mount: "live" (an encoder), "autodj", "transcoder". Empty function
        // = always "live".
        std::function<std::string(const core::MountSnapshot&)> origin;
    };
    // Published after every sample, on the sampler's thread (e.g. to push it to live feeds).
    // Must not block for long and must not call stop().
    using Observer = std::function<void(const std::shared_ptr<const boost::json::object>&)>;

    static constexpr std::chrono::milliseconds default_interval{1000};

    explicit StatsSampler(Sources sources, std::chrono::milliseconds interval = default_interval);
    // Reads `server` (which must outlive the sampler or at least its stop()).
    explicit StatsSampler(Server& server, std::chrono::milliseconds interval = default_interval);
    ~StatsSampler(); // stop()
    StatsSampler(const StatsSampler&) = delete;
    StatsSampler& operator=(const StatsSampler&) = delete;

    // Before start().
    void set_observer(Observer observer) { observer_ = std::move(observer); }

    // Takes a first sample at once, then one every interval on the sampler's thread.
    void start();
    // Idempotent; wakes the thread at once and joins it.
    void stop();

    // Builds and publishes the next document from `snap` taken at `now` (steady, for rates)
    // and `unix_ms` (wall clock, for uptime and sampled_at). The first sample of a mount, and a
    // sample whose time does not advance, report a bandwidth of 0 for it; a counter that went
    // backwards (the mount was dropped and created again in between) counts from zero, so the
    // rate is never negative. Mounts that disappeared are forgotten.
    void sample(const core::ServerSnapshot& snap, std::chrono::steady_clock::time_point now,
                std::int64_t unix_ms);
    // sample() with the server's state and the clocks now.
    void sample_now();

    // The latest document; an empty-but-valid document (zeros, no mounts) before the first
    // sample. Never null.
    [[nodiscard]] std::shared_ptr<const boost::json::object> latest() const {
        return latest_.load(std::memory_order_acquire);
    }
    // Grows by one with every published document (0 before the first).
    [[nodiscard]] std::uint64_t version() const { return version_.load(std::memory_order_acquire); }

private:
    struct Counters {
        std::uint64_t bytes_in = 0;
        std::uint64_t bytes_out = 0;
    };

    void run();

    Sources sources_;
    const std::chrono::milliseconds interval_;
    Observer observer_;

    // Sampling state (one caller at a time: the thread, or a test).
    std::unordered_map<std::string, Counters> previous_;
    std::chrono::steady_clock::time_point previous_at_{};
    bool have_previous_ = false;

    std::atomic<std::shared_ptr<const boost::json::object>> latest_;
    std::atomic<std::uint64_t> version_{0};

    std::mutex mutex_; // guards stopping_ (for the wake-up)
    std::condition_variable wake_;
    bool stopping_ = false;
    std::thread thread_;
};

// Bits per second from two readings of a byte counter `seconds` apart: 0 when the time does not
// advance, and `after` alone when the counter went backwards (it restarted from zero in
// between), so a restart never shows as a negative spike. Rounded to the nearest bit.
[[nodiscard]] std::uint64_t bits_per_second(std::uint64_t before, std::uint64_t after,
                                            double seconds);

// Who feeds the live mount `mount` of `server`: "live" for an encoder, else the in-process
// source's origin ("autodj", "transcoder"); "" when it has no source (any more).
[[nodiscard]] std::string source_origin(const Server& server, std::string_view mount);

// GET /api/stats/server for `who` from a sampler document (latest()): its "server" member for
// administrators; for anyone else only the mounts they manage, with the totals recomputed over
// those mounts (listeners, bandwidth, sources = their live mounts, connections = listeners +
// sources). Uptime and sampled_at are kept.
[[nodiscard]] boost::json::object server_stats_for(const boost::json::object& latest,
                                                   const http::Principal& who);

} // namespace tinyice::server
