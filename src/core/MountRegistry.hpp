#pragma once
// All mounts by name. Configured mounts (config file or defined at run time) live until their
// definition is removed; mounts created on demand by a source (valid default source password,
// no definition) are removed when their source leaves. Guarded by one short lock: lookups happen
// at connection setup, never per write.
//
// Changing a configured mount at run time (configure):
// - the live fields (max_listeners, fallback, fallback_override, hidden, stream_name, charset)
//   are written into the running Mount at once (Mount::update_live_settings): new listeners and
//   sources see them, connected ones are not disturbed;
// - the buffer fields (queue_size, burst_size, flush_interval_ms, metaint) are fixed inside a
//   Mount, so a replacement Mount is built (outside the lock: its ring may be large) and kept as
//   *pending*. It takes the old one's place the first time the registry sees the old one idle:
//   every lookup (find, claim_source, all, is_pending, ...) first settles pending replacements.
//   An outside observer therefore never sees "pending" on an idle mount.
//
// Why this is race-free without touching the streaming path:
// - a source claims a mount only through claim_source(), under the lock, after settling; the
//   swap also happens under the lock and only when the old Mount is not claimed. So a source
//   gets either the old Mount (and then no swap happens until it leaves) or the new one;
// - a listener is admitted on its event loop between find() and EventLoop::add_listener with no
//   suspension in between. If the swap happens in that window the old Mount had no source, so
//   the listener is fed by a fallback (and its home is the old Mount, which the event loops
//   match by name when the mount's source returns), or it was fed by the old Mount whose source
//   had just left, and the "source ended" notice already queued on that loop moves or closes
//   it. Nothing keeps a reference into a swapped-out Mount beyond that;
// - listeners and sources never read settings while streaming (admission and moves only), so
//   neither needs a lock or an atomic per write.

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

    // Defines the mount `settings.name` or changes its definition, at run time. An on-demand
    // mount of that name becomes configured in place. Returns true while a buffer change waits
    // for the mount to become idle (see above).
    bool configure(MountSettings settings);
    // Removes the definition of `name`. An unclaimed mount is dropped at once; a mount with a
    // source becomes an on-demand mount (keeping its settings, so its listeners still move to
    // its fallback) that is dropped when its source leaves: it is returned so that the caller
    // can disconnect the source. nullptr when the mount was dropped or is not configured.
    std::shared_ptr<Mount> unconfigure(std::string_view name);
    // True while `name` waits for a buffer change (a replacement Mount is ready, the current
    // one is not idle yet).
    bool is_pending(std::string_view name) const;
    bool is_configured(std::string_view name) const;

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
    struct Entry {
        std::shared_ptr<Mount> mount;
        std::shared_ptr<Mount> pending;  // replacement with new buffer settings, or null
        bool configured = false;
    };
    // Swaps the pending replacement in when the current Mount is idle. Lock held.
    static void settle(Entry& e);

    MountSettings defaults_;
    mutable std::mutex mutex_;
    // Mutable: lookups settle pending replacements (see above).
    mutable std::unordered_map<std::string, Entry> mounts_;
};

}  // namespace tinyice::core
