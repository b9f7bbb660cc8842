#include "autodj/LevelMeters.hpp"

#include <vector>

namespace tinyice::autodj {

LevelMeters::LevelMeters(MountAccess& mounts, Limits limits) : mounts_(mounts), limits_(limits) {}

LevelMeters::~LevelMeters() {
    std::map<std::string, Meter> all;
    {
        std::lock_guard lock(mutex_);
        all.swap(meters_);
    }
    // Each hub's destructor stops and joins its thread.
}

std::optional<AudioLevel> LevelMeters::level(const std::string& mount) {
    {
        std::lock_guard lock(mutex_);
        auto it = meters_.find(mount);
        if (it != meters_.end()) {
            it->second.asked = std::chrono::steady_clock::now();
            return it->second.hub->level();
        }
        if (meters_.size() >= limits_.max_meters) {
            return std::nullopt;
        }
        auto hub = std::make_unique<Transcoder>(mount, mounts_);
        hub->set_metering(true);
        hub->start();
        meters_.emplace(mount, Meter{std::move(hub), std::chrono::steady_clock::now()});
    }
    return std::nullopt;
}

void LevelMeters::expire() {
    std::vector<std::unique_ptr<Transcoder>> stale;
    {
        std::lock_guard lock(mutex_);
        const auto now = std::chrono::steady_clock::now();
        for (auto it = meters_.begin(); it != meters_.end();) {
            if (now - it->second.asked >= limits_.idle) {
                stale.push_back(std::move(it->second.hub));
                it = meters_.erase(it);
            } else {
                ++it;
            }
        }
    }
    // Joined outside the lock (stop() waits for the hub's current piece of work).
}

std::size_t LevelMeters::active() const {
    std::lock_guard lock(mutex_);
    return meters_.size();
}

} // namespace tinyice::autodj
