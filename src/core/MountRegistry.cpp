#include "core/MountRegistry.hpp"

#include <algorithm>

namespace tinyice::core {

MountRegistry::MountRegistry(MountSettings defaults) : defaults_(std::move(defaults)) {
    defaults_.configured = false;
}

void MountRegistry::add_configured(MountSettings settings) {
    configure(std::move(settings));
}

void MountRegistry::settle(Entry& e) {
    if (!e.pending || !e.mount->idle()) {
        return;
    }
    e.pending->take_over_from(*e.mount);
    e.mount = std::move(e.pending);
    e.pending.reset();
}

bool MountRegistry::configure(MountSettings settings) {
    settings.configured = true;
    const std::string name = settings.name;
    // A Mount with other buffer settings is built before taking the lock: its ring may be tens
    // of MiB and the lock is on every listener's and source's way in.
    std::shared_ptr<Mount> fresh;
    auto current = find(name);
    if (!current || !same_buffer_settings(current->settings(), settings)) {
        fresh = std::make_shared<Mount>(settings);
    }
    current.reset();

    std::lock_guard lock(mutex_);
    auto it = mounts_.find(name);
    if (it == mounts_.end()) {
        if (!fresh) {
            fresh = std::make_shared<Mount>(settings);  // removed since we looked
        }
        mounts_.emplace(name, Entry{std::move(fresh), nullptr, true});
        return false;
    }
    Entry& e = it->second;
    e.configured = true;
    e.mount->update_live_settings(settings);
    if (same_buffer_settings(e.mount->settings(), settings)) {
        e.pending.reset();  // back to what runs now: nothing to wait for
        return false;
    }
    if (!fresh) {
        fresh = std::make_shared<Mount>(settings);  // changed since we looked: rare
    }
    e.pending = std::move(fresh);
    settle(e);
    return e.pending != nullptr;
}

std::shared_ptr<Mount> MountRegistry::unconfigure(std::string_view name) {
    std::lock_guard lock(mutex_);
    auto it = mounts_.find(std::string(name));
    if (it == mounts_.end() || !it->second.configured) {
        return nullptr;
    }
    Entry& e = it->second;
    if (!e.mount->claimed()) {
        // Listeners still attached (their source just left) hold their own reference; the
        // "source ended" notice on their loop moves or closes them.
        mounts_.erase(it);
        return nullptr;
    }
    // Until its source is gone it is an on-demand mount. It keeps its other settings for that
    // short time, so the listeners of the kicked source still move to its fallback.
    auto settings = e.mount->settings();
    settings.configured = false;
    e.mount->update_live_settings(settings);
    e.pending.reset();
    e.configured = false;
    return e.mount;
}

bool MountRegistry::is_pending(std::string_view name) const {
    std::lock_guard lock(mutex_);
    auto it = mounts_.find(std::string(name));
    if (it == mounts_.end()) {
        return false;
    }
    settle(it->second);
    return it->second.pending != nullptr;
}

bool MountRegistry::is_configured(std::string_view name) const {
    std::lock_guard lock(mutex_);
    auto it = mounts_.find(std::string(name));
    return it != mounts_.end() && it->second.configured;
}

std::shared_ptr<Mount> MountRegistry::find(std::string_view name) const {
    std::lock_guard lock(mutex_);
    auto it = mounts_.find(std::string(name));
    if (it == mounts_.end()) {
        return nullptr;
    }
    settle(it->second);
    return it->second.mount;
}

std::shared_ptr<Mount> MountRegistry::claim_source(std::string_view name, SourceInfo info,
                                                   std::function<void()> kill) {
    std::lock_guard lock(mutex_);
    auto key = std::string(name);
    auto it = mounts_.find(key);
    if (it == mounts_.end()) {
        auto settings = defaults_;
        settings.name = key;
        it = mounts_.emplace(key, Entry{std::make_shared<Mount>(std::move(settings)), nullptr, false})
                 .first;
    }
    // A waiting replacement takes over before the source arrives, not after it leaves.
    settle(it->second);
    if (!it->second.mount->claim_source(std::move(info), std::move(kill))) {
        return nullptr;
    }
    return it->second.mount;
}

void MountRegistry::remove_if_unused(const std::shared_ptr<Mount>& mount) {
    std::lock_guard lock(mutex_);
    auto it = mounts_.find(mount->name());
    if (it == mounts_.end() || it->second.mount != mount) {
        return;
    }
    if (it->second.configured) {
        settle(it->second);  // its source left: a pending change may apply now
        return;
    }
    if (!mount->has_source()) {
        mounts_.erase(it);
    }
}

std::vector<std::shared_ptr<Mount>> MountRegistry::all() const {
    std::vector<std::shared_ptr<Mount>> out;
    {
        std::lock_guard lock(mutex_);
        out.reserve(mounts_.size());
        for (auto& [name, entry] : mounts_) {
            settle(entry);
            out.push_back(entry.mount);
        }
    }
    std::sort(out.begin(), out.end(),
              [](const auto& a, const auto& b) { return a->name() < b->name(); });
    return out;
}

std::size_t MountRegistry::sources() const {
    std::lock_guard lock(mutex_);
    return static_cast<std::size_t>(std::count_if(mounts_.begin(), mounts_.end(), [](const auto& kv) {
        return kv.second.mount->has_source();
    }));
}

}  // namespace tinyice::core
