// Mount definitions changed at run time (the JSON API's mounts): what they mean for the
// registry and for source logins. The policy (merging the file with the database, validation)
// is MountDefinitions'; this is the server's side of it.

#include "server/Server.hpp"
#include "util/Log.hpp"

namespace tinyice::server {

core::MountSettings Server::mount_settings(const config::MountConfig& m) const {
    const auto& limits = config_.limits;
    core::MountSettings s;
    s.name = m.name;
    s.queue_size = m.queue_size.value_or(limits.queue_size);
    s.burst_size = m.burst_size.value_or(limits.burst_size);
    s.flush_interval_ms = m.flush_interval_ms.value_or(limits.flush_interval_ms);
    s.metaint = m.metaint.value_or(limits.metaint);
    s.max_listeners = m.max_listeners;
    s.fallback = m.fallback;
    s.fallback_override = m.fallback_override;
    s.hidden = m.hidden;
    s.stream_name = m.stream_name;
    s.charset = m.charset;
    s.configured = true;
    return s;
}

bool Server::define_mount(const config::MountConfig& mount) {
    return mounts_.configure(mount_settings(mount));
}

void Server::undefine_mount(const std::string& name) {
    auto live = mounts_.unconfigure(name);
    if (live && live->kill_source()) {
        util::logger("source")->info("source of {} disconnected: its mount was deleted", name);
    }
}

bool Server::reserved_mount_name(std::string_view name) const {
    // The same names the source handler refuses, plus the web interface's pages (a listener
    // could never reach a mount hidden behind one).
    for (std::string_view suffix : {".m3u", ".pls", ".xspf", ".xsl"}) {
        if (name.ends_with(suffix)) {
            return true;
        }
    }
    return name == "/" || name.starts_with("/admin") || router_.owns(name) ||
           (web_ != nullptr && web_->owns(name));
}

}  // namespace tinyice::server
