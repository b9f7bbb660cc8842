#pragma once
// Mount definitions: the config file's mounts, changed and extended at run time through the
// JSON API (docs/API.md, "Mounts"). Changes are kept in the database (DefinitionStore, kind
// "mount", the JSON of the file's mount section, password as a crypt hash) and come back after
// a restart:
//   - a mount created through the API is "api"; deleting it deletes it;
//   - a file mount changed through the API is stored whole and overrides the file's entry
//     ("config+api"); deleting it reverts it to the file ("config");
//   - a mount only in the file cannot be deleted here (409): the file stays the operator's.
// The effective definitions are the file's mounts overridden by stored ones, plus the stored
// ones the file does not have.
//
// Every change is checked like the file's mounts (config::validate_mount), plus what needs the
// other mounts (fallback cycles) and the server (names it answers itself), then stored, and
// only then applied (MountTarget): a refused or failed change leaves everything as it was.
//
// Threads: thread-safe; changes are serialised. Methods may block (SQLite): call them from
// worker threads or at startup, never on an event loop.

#include <cstddef>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/Config.hpp"
#include "server/Authenticator.hpp"
#include "storage/DefinitionStore.hpp"

namespace tinyice::http {
class Router;
}
namespace tinyice::storage {
class AuditStore;
class UserStore;
}

namespace tinyice::server {

class Server;

enum class DefinedIn { config, api, config_api };
std::string_view to_string(DefinedIn d);  // "config", "api", "config+api"

struct MountDefinition {
    config::MountConfig config;  // effective
    DefinedIn defined_in = DefinedIn::config;
};

// Where effective definitions take effect (the Server; a fake in tests).
class MountTarget {
public:
    virtual ~MountTarget() = default;
    // Adds or changes a mount; true while a buffer change waits for the mount to be idle.
    virtual bool define_mount(const config::MountConfig& mount) = 0;
    // Removes a mount (its source, if any, is disconnected).
    virtual void undefine_mount(const std::string& name) = 0;
    // The source credentials of every defined mount, replacing the previous set.
    virtual void set_mount_credentials(MountCredentialMap credentials) = 0;
    // Paths the server answers itself, which can never be mounts.
    [[nodiscard]] virtual bool reserved_mount_name(std::string_view name) const = 0;
};

class MountDefinitions {
public:
    static constexpr std::string_view kind = "mount";  // in the DefinitionStore
    // Bounds the memory an administrator can commit: every defined mount has its ring.
    static constexpr std::size_t max_mounts = 1000;

    MountDefinitions(const config::Config& cfg, storage::DefinitionStore& store,
                     MountTarget& target);
    // Applies to `server` (through an adapter owned by this object).
    MountDefinitions(const config::Config& cfg, storage::DefinitionStore& store, Server& server);
    ~MountDefinitions();
    MountDefinitions(const MountDefinitions&) = delete;
    MountDefinitions& operator=(const MountDefinitions&) = delete;

    // Reads the stored definitions and applies them on top of the file's (whose mounts the
    // server has already). A stored definition that is invalid now (e.g. after a change of the
    // file's limits) or would close a fallback cycle is logged and skipped, never fatal. Call
    // once, before the server starts.
    void load();

    [[nodiscard]] std::vector<MountDefinition> list() const;  // by name
    [[nodiscard]] std::optional<MountDefinition> find(std::string_view name) const;
    [[nodiscard]] const config::LimitsConfig& limits() const { return limits_; }

    // The following throw http::HttpError: 400 naming the bad field, 404 no such mount, 409 a
    // conflict (the name is defined already, a file-only mount, too many mounts). `m.password`
    // is a crypt hash or "" (the default source password). They return true while a buffer
    // change waits for the mount to be idle.
    bool create(const config::MountConfig& m);
    bool update(const config::MountConfig& m);
    // Deletes an API mount (nullopt) or reverts a changed file mount (DefinedIn::config).
    std::optional<DefinedIn> remove(std::string_view name);

private:
    const config::MountConfig* effective(std::string_view name) const;  // lock held
    // validate_mount, normalised names, reserved names, fallback cycles. Lock held.
    void check(const config::MountConfig& m) const;
    void push_credentials();  // lock held

    std::unique_ptr<MountTarget> own_target_;  // the Server adapter, when built with one
    MountTarget& target_;
    storage::DefinitionStore& store_;
    const config::LimitsConfig limits_;
    mutable std::mutex mutex_;
    std::map<std::string, config::MountConfig, std::less<>> file_;
    std::map<std::string, config::MountConfig, std::less<>> stored_;
};

// The JSON API for mounts (MountsApi.cpp; docs/API.md, "Mounts"). `audit` records changes,
// kicks and moves (categories "streams" and "listeners"); `users` gives each mount's owners.
// Either may be null. Everything passed must outlive the router's handlers.
void register_mount_routes(http::Router& router, Server& server, MountDefinitions& definitions,
                           storage::AuditStore* audit, const storage::UserStore* users = nullptr);

}  // namespace tinyice::server
