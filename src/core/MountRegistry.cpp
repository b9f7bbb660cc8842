#include "core/MountRegistry.hpp"

#include <algorithm>

namespace tinyice::core {

MountRegistry::MountRegistry(MountSettings defaults) : defaults_(std::move(defaults)) {
    defaults_.configured = false;
}

void MountRegistry::add_configured(MountSettings settings) {
    settings.configured = true;
    std::lock_guard lock(mutex_);
    auto name = settings.name;
    mounts_[name] = std::make_shared<Mount>(std::move(settings));
}

std::shared_ptr<Mount> MountRegistry::find(std::string_view name) const {
    std::lock_guard lock(mutex_);
    auto it = mounts_.find(std::string(name));
    return it == mounts_.end() ? nullptr : it->second;
}

std::shared_ptr<Mount> MountRegistry::claim_source(std::string_view name, SourceInfo info,
                                                   std::function<void()> kill) {
    std::lock_guard lock(mutex_);
    auto key = std::string(name);
    auto it = mounts_.find(key);
    if (it == mounts_.end()) {
        auto settings = defaults_;
        settings.name = key;
        it = mounts_.emplace(key, std::make_shared<Mount>(std::move(settings))).first;
    }
    if (!it->second->claim_source(std::move(info), std::move(kill))) {
        return nullptr;
    }
    return it->second;
}

void MountRegistry::remove_if_unused(const std::shared_ptr<Mount>& mount) {
    if (mount->settings().configured) {
        return;
    }
    std::lock_guard lock(mutex_);
    auto it = mounts_.find(mount->name());
    if (it != mounts_.end() && it->second == mount && !mount->has_source()) {
        mounts_.erase(it);
    }
}

std::vector<std::shared_ptr<Mount>> MountRegistry::all() const {
    std::vector<std::shared_ptr<Mount>> out;
    {
        std::lock_guard lock(mutex_);
        out.reserve(mounts_.size());
        for (const auto& [name, mount] : mounts_) {
            out.push_back(mount);
        }
    }
    std::sort(out.begin(), out.end(),
              [](const auto& a, const auto& b) { return a->name() < b->name(); });
    return out;
}

std::size_t MountRegistry::sources() const {
    std::lock_guard lock(mutex_);
    return static_cast<std::size_t>(std::count_if(
        mounts_.begin(), mounts_.end(), [](const auto& kv) { return kv.second->has_source(); }));
}

}  // namespace tinyice::core
