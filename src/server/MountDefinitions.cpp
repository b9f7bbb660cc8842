#include "server/MountDefinitions.hpp"

#include "http/Router.hpp"
#include "protocol/http/Query.hpp"
#include "server/Server.hpp"
#include "util/Log.hpp"

namespace tinyice::server {

namespace {

class ServerMountTarget final : public MountTarget {
public:
    explicit ServerMountTarget(Server& server) : server_(server) {}
    bool define_mount(const config::MountConfig& mount) override {
        return server_.define_mount(mount);
    }
    void undefine_mount(const std::string& name) override { server_.undefine_mount(name); }
    void set_mount_credentials(MountCredentialMap credentials) override {
        server_.set_mount_credentials(std::move(credentials));
    }
    [[nodiscard]] bool reserved_mount_name(std::string_view name) const override {
        return server_.reserved_mount_name(name);
    }

private:
    Server& server_;
};

[[noreturn]] void bad_request(const std::string& message) {
    throw http::HttpError(400, message);
}

bool normalised(const std::string& name) {
    auto n = protocol::http::normalize_mount_path(name);
    return n && *n == name;
}

}  // namespace

std::string_view to_string(DefinedIn d) {
    switch (d) {
    case DefinedIn::api:
        return "api";
    case DefinedIn::config_api:
        return "config+api";
    case DefinedIn::config:
        break;
    }
    return "config";
}

MountDefinitions::MountDefinitions(const config::Config& cfg, storage::DefinitionStore& store,
                                   MountTarget& target)
    : target_(target), store_(store), limits_(cfg.limits) {
    for (const auto& m : cfg.mounts) {
        file_.emplace(m.name, m);
    }
}

MountDefinitions::MountDefinitions(const config::Config& cfg, storage::DefinitionStore& store,
                                   Server& server)
    : own_target_(std::make_unique<ServerMountTarget>(server)),
      target_(*own_target_),
      store_(store),
      limits_(cfg.limits) {
    for (const auto& m : cfg.mounts) {
        file_.emplace(m.name, m);
    }
}

MountDefinitions::~MountDefinitions() = default;

const config::MountConfig* MountDefinitions::effective(std::string_view name) const {
    if (auto it = stored_.find(name); it != stored_.end()) {
        return &it->second;
    }
    if (auto it = file_.find(name); it != file_.end()) {
        return &it->second;
    }
    return nullptr;
}

void MountDefinitions::check(const config::MountConfig& m) const {
    try {
        config::validate_mount(m, limits_, "");
    } catch (const config::ConfigError& e) {
        bad_request(e.what());
    }
    if (!normalised(m.name)) {
        bad_request("name: '" + m.name + "' is not a plain mount path (no '.', '..' or empty "
                    "segments, e.g. \"/live\" or \"/radio/main\")");
    }
    if (target_.reserved_mount_name(m.name)) {
        bad_request("name: " + m.name +
                    " is a path the server answers itself (admin, API, playlists, status or web "
                    "pages); listeners could never reach it");
    }
    if (!m.fallback.empty() && !normalised(m.fallback)) {
        bad_request("fallback: '" + m.fallback + "' is not a plain mount path");
    }
    // The other definitions are acyclic, so a new cycle must pass through `m`: follow its
    // chain and see whether it comes back. Bounded in case the set is not what we think.
    std::string chain = m.name;
    std::string next = m.fallback;
    for (std::size_t steps = 0; !next.empty() && steps <= file_.size() + stored_.size(); ++steps) {
        chain += " -> " + next;
        if (next == m.name) {
            bad_request("fallback: cycle " + chain +
                        " (listeners would be moved around it forever)");
        }
        const auto* other = effective(next);
        if (other == nullptr) {
            break;
        }
        next = other->fallback;
    }
}

void MountDefinitions::push_credentials() {
    MountCredentialMap creds;
    for (const auto& [name, m] : file_) {
        creds[name] = MountCredentials{m.username, m.password};
    }
    for (const auto& [name, m] : stored_) {
        creds[name] = MountCredentials{m.username, m.password};
    }
    target_.set_mount_credentials(std::move(creds));
}

void MountDefinitions::load() {
    auto log = util::logger("mounts");
    std::vector<storage::Definition> rows;
    try {
        rows = store_.list(kind);
    } catch (const std::exception& e) {
        log->error("cannot read mount definitions from the database: {}", e.what());
        return;
    }
    std::lock_guard lock(mutex_);
    for (const auto& row : rows) {
        try {
            auto m = config::parse_mount(row.json);
            if (m.name != row.name) {
                throw config::ConfigError("name: '" + m.name + "' does not match the row");
            }
            if (!file_.contains(m.name) && file_.size() + stored_.size() >= max_mounts) {
                throw config::ConfigError("more than " + std::to_string(max_mounts) + " mounts");
            }
            check(m);
            stored_[m.name] = m;
            if (file_.contains(m.name)) {
                log->info("mount {}: the config file's definition is overridden by changes made "
                          "through the API",
                          m.name);
            }
        } catch (const std::exception& e) {
            log->error("mount {} from the database is skipped: {}", row.name, e.what());
        }
    }
    push_credentials();
    for (const auto& [name, m] : stored_) {
        target_.define_mount(m);
    }
}

std::vector<MountDefinition> MountDefinitions::list() const {
    std::lock_guard lock(mutex_);
    std::vector<MountDefinition> out;
    auto s = stored_.begin();
    auto f = file_.begin();
    // Both maps are sorted: merge them.
    while (s != stored_.end() || f != file_.end()) {
        if (f == file_.end() || (s != stored_.end() && s->first < f->first)) {
            out.push_back({s->second, DefinedIn::api});
            ++s;
        } else if (s == stored_.end() || f->first < s->first) {
            out.push_back({f->second, DefinedIn::config});
            ++f;
        } else {
            out.push_back({s->second, DefinedIn::config_api});
            ++s;
            ++f;
        }
    }
    return out;
}

std::optional<MountDefinition> MountDefinitions::find(std::string_view name) const {
    std::lock_guard lock(mutex_);
    const bool in_file = file_.contains(name);
    if (auto it = stored_.find(name); it != stored_.end()) {
        return MountDefinition{it->second, in_file ? DefinedIn::config_api : DefinedIn::api};
    }
    if (in_file) {
        return MountDefinition{file_.find(name)->second, DefinedIn::config};
    }
    return std::nullopt;
}

bool MountDefinitions::create(const config::MountConfig& m) {
    std::lock_guard lock(mutex_);
    if (effective(m.name) != nullptr) {
        throw http::HttpError(409, "mount " + m.name + " is defined already (PATCH changes it)");
    }
    if (file_.size() + stored_.size() >= max_mounts) {
        throw http::HttpError(409, "at most " + std::to_string(max_mounts) +
                                       " mounts can be defined");
    }
    check(m);
    store_.put(kind, m.name, config::to_json(m));  // first: when it fails nothing changed
    stored_[m.name] = m;
    push_credentials();
    return target_.define_mount(m);
}

bool MountDefinitions::update(const config::MountConfig& m) {
    std::lock_guard lock(mutex_);
    if (effective(m.name) == nullptr) {
        throw http::HttpError(404, "no mount " + m.name + " is defined");
    }
    check(m);
    store_.put(kind, m.name, config::to_json(m));
    stored_[m.name] = m;
    push_credentials();
    return target_.define_mount(m);
}

std::optional<DefinedIn> MountDefinitions::remove(std::string_view name) {
    std::lock_guard lock(mutex_);
    auto stored = stored_.find(name);
    auto file = file_.find(name);
    if (stored == stored_.end()) {
        if (file != file_.end()) {
            throw http::HttpError(409, "mount " + std::string(name) +
                                           " is defined in the config file; remove it there");
        }
        throw http::HttpError(404, "no mount " + std::string(name) + " is defined");
    }
    if (file != file_.end()) {
        // Back to the file's definition: it must fit the other mounts as they are now.
        auto saved = std::move(stored->second);
        stored_.erase(stored);
        try {
            check(file->second);
        } catch (const http::HttpError& e) {
            stored_.emplace(std::string(name), std::move(saved));
            throw http::HttpError(409, std::string("cannot revert to the config file: ") +
                                           e.what());
        }
        try {
            store_.remove(kind, name);
        } catch (...) {
            stored_.emplace(std::string(name), std::move(saved));
            throw;
        }
        push_credentials();
        target_.define_mount(file->second);
        return DefinedIn::config;
    }
    store_.remove(kind, name);
    stored_.erase(stored);
    push_credentials();
    target_.undefine_mount(std::string(name));
    return std::nullopt;
}

}  // namespace tinyice::server
