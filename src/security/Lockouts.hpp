#pragma once
// Per-client counters behind the brute-force and 404-scan lockouts. They only count and say
// "this client just crossed the line"; banning (and for how long) is the caller's business.
//
// Time is whatever monotonic millisecond clock the caller passes as `now_ms`, which keeps the
// counters deterministic under test. An event at time t counts while now_ms - t < window.
//
// Thread-safe: every call takes one short internal lock (no I/O or allocation-heavy work under
// it). Memory is bounded: at most `max_keys` clients are tracked; a new client arriving at a full
// table evicts the one least recently counted, so an attacker with many addresses only pushes
// out old entries and never grows the table. Each tracked client costs about 150 bytes plus
// 8 bytes per counted failure (FailureCounter, fewer than `threshold`) or 16 bytes per distinct
// value (DistinctCounter, fewer than `threshold`).
//
// Keys are full addresses. An IPv6 client usually controls a whole /64, so callers that want
// one counter per subscriber pass who.masked(64) for IPv6 (and ban that /64).

#include "security/IpNetwork.hpp"
#include "security/RecencyMap.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string_view>
#include <utility>
#include <vector>

namespace tinyice::security {

// Counts failures per key (client address) in a sliding window; crossing the threshold returns
// true once (the caller then bans the address until `now + ban`).
class FailureCounter {
public:
    // Throws std::invalid_argument when threshold is 0, window is not positive or max_keys is 0.
    FailureCounter(std::uint32_t threshold, std::chrono::milliseconds window,
                   std::size_t max_keys = 100000);

    // Records a failure. True when this failure brings the count within the window to
    // `threshold`; the key's failures are then forgotten (the ban takes over), so the next
    // true needs `threshold` new failures.
    bool add(const IpAddress& who, std::int64_t now_ms); // true = threshold reached now

    // Forgets the key, e.g. after a successful login.
    void clear(const IpAddress& who);

    // Failures of `who` still inside the window at now_ms.
    std::uint32_t count(const IpAddress& who, std::int64_t now_ms) const;

    // Drops keys whose failures have all left the window, starting with the least recently
    // counted and stopping at the first one still active. add() also drops a couple of expired
    // keys each time, so calling this is optional (it returns memory sooner).
    void prune(std::int64_t now_ms);

    // Keys tracked at the moment (at most max_keys).
    std::size_t size() const;

private:
    struct Failures {
        std::vector<std::int64_t> times; // not necessarily sorted if callers' clocks race
    };

    void drop_expired(Failures& f, std::int64_t now_ms) const;
    bool is_stale(const Failures& f, std::int64_t now_ms) const; // nothing left in the window

    std::uint32_t threshold_;
    std::int64_t window_ms_;
    mutable std::mutex mutex_;
    RecencyMap<Failures> table_; // guarded by mutex_
};

// Counts DISTINCT values (e.g. unknown paths) per key in a window: a scanner probing 25
// different paths trips it, a player retrying one dead URL does not.
class DistinctCounter {
public:
    // Values are remembered as 64-bit keyed hashes, never as text, so a long value costs no
    // more than a short one. Throws std::invalid_argument when threshold is 0 or above
    // max_values_per_key, window is not positive or max_keys is 0.
    DistinctCounter(std::uint32_t threshold, std::chrono::milliseconds window,
                    std::size_t max_keys = 100000, std::size_t max_values_per_key = 64);

    // Records `value` for `who`. A value seen again only refreshes its time. True when this
    // value brings the number of distinct values within the window to `threshold`; the key is
    // then forgotten, so the next true needs `threshold` new distinct values.
    bool add(const IpAddress& who, std::string_view value, std::int64_t now_ms);

    void clear(const IpAddress& who);

    // Distinct values of `who` still inside the window at now_ms.
    std::uint32_t count(const IpAddress& who, std::int64_t now_ms) const;

    // As FailureCounter::prune.
    void prune(std::int64_t now_ms);

    std::size_t size() const;

private:
    struct Values {
        std::vector<std::pair<std::uint64_t, std::int64_t>> seen; // value hash, last seen
    };

    void drop_expired(Values& v, std::int64_t now_ms) const;
    bool is_stale(const Values& v, std::int64_t now_ms) const;

    std::uint32_t threshold_;
    std::int64_t window_ms_;
    mutable std::mutex mutex_;
    RecencyMap<Values> table_; // guarded by mutex_
};

} // namespace tinyice::security
