#pragma once
// All mounts by name. Configured mounts live as long as the registry; mounts created on demand
// by a source (valid default source password, no config entry) are removed when their source
// leaves. Guarded by one short lock: lookups happen at connection setup, never per write.

#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/Mount.hpp"

namespace tinyice::core {

class MountRegistry {
public:
    // `defaults` is the template for mounts created on demand (its name is ignored).
    explicit MountRegistry(MountSettings defaults);

    // Adds the mounts from the config file (call before serving).
    void add_configured(MountSettings settings);

    std::shared_ptr<Mount> find(std::string_view name) const;
    // Gives the mount `name` to a new source: the configured mount, an existing on-demand
    // one, or a new on-demand mount. nullptr when a source is connected there already.
    // Done under the registry lock so an on-demand mount cannot be dropped in between.
    std::shared_ptr<Mount> claim_source(std::string_view name, SourceInfo info,
                                        std::function<void()> kill);
    // Drops an on-demand mount whose source has left.
    void remove_if_unused(const std::shared_ptr<Mount>& mount);

    // Sorted by name.
    std::vector<std::shared_ptr<Mount>> all() const;
    std::size_t sources() const;

private:
    MountSettings defaults_;
    mutable std::mutex mutex_;
    std::unordered_map<std::string, std::shared_ptr<Mount>> mounts_;
};

}  // namespace tinyice::core
