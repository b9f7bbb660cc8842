#include "security/Lockouts.hpp"

#include "security/KeyedHash.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <stdexcept>

namespace tinyice::security {

namespace {

// Each add() also drops up to this many expired keys from the old end, so the tables shrink
// back after a burst without anyone calling prune(), at a bounded cost per call.
constexpr std::size_t prune_per_add = 2;

// An event at `t` has left the window at `now`. A time ahead of `now` (two threads read the
// clock in one order and lock in the other) counts as fresh. The subtraction is done unsigned
// so that no pair of int64 inputs can overflow.
bool expired(std::int64_t t, std::int64_t now, std::int64_t window) {
    return now > t && static_cast<std::uint64_t>(now) - static_cast<std::uint64_t>(t) >=
                          static_cast<std::uint64_t>(window);
}

void check_common(const char* what, std::uint32_t threshold, std::chrono::milliseconds window,
                  std::size_t max_keys) {
    if (threshold == 0) {
        throw std::invalid_argument(fmt::format("{}: threshold must be at least 1", what));
    }
    if (window.count() <= 0) {
        throw std::invalid_argument(fmt::format("{}: window must be positive", what));
    }
    if (max_keys == 0) {
        throw std::invalid_argument(fmt::format("{}: max_keys must be at least 1", what));
    }
}

} // namespace

// --- FailureCounter ---------------------------------------------------------------------------

FailureCounter::FailureCounter(std::uint32_t threshold, std::chrono::milliseconds window,
                               std::size_t max_keys)
    : threshold_(threshold), window_ms_(window.count()), table_(max_keys) {
    check_common("failure counter", threshold, window, max_keys);
}

void FailureCounter::drop_expired(Failures& f, std::int64_t now_ms) const {
    std::erase_if(f.times, [&](std::int64_t t) { return expired(t, now_ms, window_ms_); });
}

bool FailureCounter::is_stale(const Failures& f, std::int64_t now_ms) const {
    return std::all_of(f.times.begin(), f.times.end(),
                       [&](std::int64_t t) { return expired(t, now_ms, window_ms_); });
}

bool FailureCounter::add(const IpAddress& who, std::int64_t now_ms) {
    const std::lock_guard lock(mutex_);
    table_.erase_oldest_while([&](const Failures& f) { return is_stale(f, now_ms); },
                              prune_per_add);
    Failures& f = table_.touch(who);
    drop_expired(f, now_ms);
    f.times.push_back(now_ms);
    if (f.times.size() >= threshold_) {
        table_.erase(who);
        return true;
    }
    return false;
}

void FailureCounter::clear(const IpAddress& who) {
    const std::lock_guard lock(mutex_);
    table_.erase(who);
}

std::uint32_t FailureCounter::count(const IpAddress& who, std::int64_t now_ms) const {
    const std::lock_guard lock(mutex_);
    const Failures* f = table_.find(who);
    if (f == nullptr) {
        return 0;
    }
    return static_cast<std::uint32_t>(std::count_if(
        f->times.begin(), f->times.end(), [&](auto t) { return !expired(t, now_ms, window_ms_); }));
}

void FailureCounter::prune(std::int64_t now_ms) {
    const std::lock_guard lock(mutex_);
    table_.erase_oldest_while([&](const Failures& f) { return is_stale(f, now_ms); });
}

std::size_t FailureCounter::size() const {
    const std::lock_guard lock(mutex_);
    return table_.size();
}

// --- DistinctCounter --------------------------------------------------------------------------

DistinctCounter::DistinctCounter(std::uint32_t threshold, std::chrono::milliseconds window,
                                 std::size_t max_keys, std::size_t max_values_per_key)
    : threshold_(threshold), window_ms_(window.count()), table_(max_keys) {
    check_common("distinct counter", threshold, window, max_keys);
    if (threshold > max_values_per_key) {
        throw std::invalid_argument(
            fmt::format("distinct counter: threshold {} exceeds the {} values kept per client, so "
                        "it could never be reached",
                        threshold, max_values_per_key));
    }
}

void DistinctCounter::drop_expired(Values& v, std::int64_t now_ms) const {
    std::erase_if(v.seen, [&](const auto& s) { return expired(s.second, now_ms, window_ms_); });
}

bool DistinctCounter::is_stale(const Values& v, std::int64_t now_ms) const {
    return std::all_of(v.seen.begin(), v.seen.end(),
                       [&](const auto& s) { return expired(s.second, now_ms, window_ms_); });
}

bool DistinctCounter::add(const IpAddress& who, std::string_view value, std::int64_t now_ms) {
    // Hashed before taking the lock: a long value costs the caller, not everyone waiting.
    const std::uint64_t hash = keyed_hash(value);
    const std::lock_guard lock(mutex_);
    table_.erase_oldest_while([&](const Values& v) { return is_stale(v, now_ms); }, prune_per_add);
    Values& v = table_.touch(who);
    drop_expired(v, now_ms);
    const auto it =
        std::find_if(v.seen.begin(), v.seen.end(), [&](const auto& s) { return s.first == hash; });
    if (it != v.seen.end()) {
        it->second = std::max(it->second, now_ms);
        return false;
    }
    // Fewer than threshold <= max_values_per_key entries are ever kept: reaching the threshold
    // forgets the key.
    v.seen.emplace_back(hash, now_ms);
    if (v.seen.size() >= threshold_) {
        table_.erase(who);
        return true;
    }
    return false;
}

void DistinctCounter::clear(const IpAddress& who) {
    const std::lock_guard lock(mutex_);
    table_.erase(who);
}

std::uint32_t DistinctCounter::count(const IpAddress& who, std::int64_t now_ms) const {
    const std::lock_guard lock(mutex_);
    const Values* v = table_.find(who);
    if (v == nullptr) {
        return 0;
    }
    return static_cast<std::uint32_t>(std::count_if(v->seen.begin(), v->seen.end(), [&](auto& s) {
        return !expired(s.second, now_ms, window_ms_);
    }));
}

void DistinctCounter::prune(std::int64_t now_ms) {
    const std::lock_guard lock(mutex_);
    table_.erase_oldest_while([&](const Values& v) { return is_stale(v, now_ms); });
}

std::size_t DistinctCounter::size() const {
    const std::lock_guard lock(mutex_);
    return table_.size();
}

} // namespace tinyice::security
