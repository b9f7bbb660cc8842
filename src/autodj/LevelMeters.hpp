#pragma once
// Audio levels of live mounts for the dashboard's VU meters. A mount's meter starts the first
// time someone asks for its level (the admin live feed does, once a second, while a dashboard
// is open) and stops when nobody has asked for `idle` (expire(), called periodically). A meter
// is a transcoder hub with no outputs and metering on: it reads the mount's ring like a
// listener would and decodes it on its own thread, so the cost (about one decoder per watched
// mount) is paid only while someone watches, never on the I/O threads.

#include "autodj/MountAccess.hpp"
#include "autodj/Transcoder.hpp"

#include <chrono>
#include <cstddef>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

namespace tinyice::autodj {

class LevelMeters {
public:
    struct Limits {
        std::size_t max_meters = 32;           // mounts metered at once
        std::chrono::milliseconds idle{15000}; // a meter nobody asked for this long stops
    };

    LevelMeters(MountAccess& mounts, Limits limits);
    explicit LevelMeters(MountAccess& mounts) : LevelMeters(mounts, Limits{}) {}
    ~LevelMeters(); // stops every meter
    LevelMeters(const LevelMeters&) = delete;
    LevelMeters& operator=(const LevelMeters&) = delete;

    // The mount's latest level; starts its meter when there is none (nullopt until it has
    // decoded ~100 ms, and whenever the mount has no decodable source). Thread-safe.
    std::optional<AudioLevel> level(const std::string& mount);
    // Stops the meters nobody asked for in the idle time. Thread-safe.
    void expire();
    [[nodiscard]] std::size_t active() const;

private:
    struct Meter {
        std::unique_ptr<Transcoder> hub;
        std::chrono::steady_clock::time_point asked;
    };

    MountAccess& mounts_;
    const Limits limits_;
    mutable std::mutex mutex_;
    std::map<std::string, Meter> meters_;
};

} // namespace tinyice::autodj
