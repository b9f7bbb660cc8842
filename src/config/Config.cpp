#include "config/Config.hpp"

#include "security/PasswordHash.hpp"

#include <algorithm>

namespace tinyice::config {

const MountConfig* Config::find_mount(std::string_view name) const {
    const auto it = std::find_if(mounts.begin(), mounts.end(),
                                 [name](const MountConfig& m) { return m.name == name; });
    return it == mounts.end() ? nullptr : &*it;
}

Config make_first_run_config(FirstRunSecrets& out) {
    FirstRunSecrets secrets{
        .admin_password = security::generate_password(),
        .source_password = security::generate_password(),
        .live_password = security::generate_password(),
    };
    Config cfg;
    cfg.auth.admin_password = security::hash_password(secrets.admin_password);
    cfg.auth.source_password = security::hash_password(secrets.source_password);
    cfg.mounts.push_back(MountConfig{
        .name = "/live",
        .password = security::hash_password(secrets.live_password),
    });
    out = std::move(secrets);
    return cfg;
}

} // namespace tinyice::config
