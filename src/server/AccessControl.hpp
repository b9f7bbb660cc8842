#pragma once
// Who may connect, and who is locked out: the ban and allow lists (config file + database,
// IPs and CIDRs, v4 and v6), the brute-force lockout (failed logins per address), the 404-scan
// lockout (distinct unknown paths per address), and the trusted reverse proxies whose
// X-Forwarded-For names the real client.
//
// Threads: check() and is_trusted_proxy() are called on every accept, from every event loop,
// so they read an immutable snapshot through one atomic shared_ptr load (no lock). Changes
// (rules added/removed, a lockout) build a new snapshot under a mutex. Methods that touch the
// database (add_rule, remove_rule, reload, the lockout paths) may block briefly on SQLite;
// login_failed/unknown_path queue the ban without waiting when called on an event loop.

#include "config/Config.hpp"
#include "security/IpNetwork.hpp"
#include "security/Lockouts.hpp"
#include "storage/IpRuleStore.hpp"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tinyice::server {

class AccessControl {
public:
    enum class Verdict { allowed, banned, not_allowed };

    struct Counters {
        std::atomic<std::uint64_t> refused_banned{0};      // connections refused by a ban
        std::atomic<std::uint64_t> refused_not_allowed{0}; // allow_only refusals
        std::atomic<std::uint64_t> login_lockouts{0};
        std::atomic<std::uint64_t> scan_lockouts{0};
    };

    // `store` may be null (no database: config rules only, lockouts in memory).
    AccessControl(const config::Config& cfg, storage::IpRuleStore* store);

    // ---- hot path (any thread, lock-free) --------------------------------------------------
    [[nodiscard]] Verdict check(const security::IpAddress& client) const;
    [[nodiscard]] bool is_trusted_proxy(const security::IpAddress& peer) const;
    [[nodiscard]] bool has_trusted_proxies() const { return !config_.http.trusted_proxies.empty(); }
    // The client behind trusted proxies (X-Forwarded-For / X-Real-IP), as text; `peer` when the
    // peer is not a trusted proxy.
    [[nodiscard]] std::string client_address(const std::string& peer,
                                             const std::vector<std::string_view>& forwarded_for,
                                             std::optional<std::string_view> real_ip) const;

    // ---- lockouts --------------------------------------------------------------------------
    // A failed login (web, API, admin Basic, bad token) from `client`. Returns true when this
    // failure locked the address out. Allowed addresses are never locked out.
    bool login_failed(const std::string& client, std::string_view user);
    void login_succeeded(const std::string& client);
    // A request for a path that does not exist (unknown mount, unknown page).
    bool unknown_path(const std::string& client, std::string_view path);

    // ---- rules (admin API) -----------------------------------------------------------------
    struct Rule {
        std::int64_t id = 0; // 0 = from the config file
        std::string kind;    // "ban" | "allow"
        std::string network; // canonical
        std::string reason;
        std::string source; // "config" | "manual" | "login_lockout" | "scan_lockout"
        std::int64_t created_at = 0;
        std::int64_t expires_at = 0; // unix ms, 0 = permanent
        std::string created_by;
    };
    // Active rules (expired ones are left out), config-file rules first.
    [[nodiscard]] std::vector<Rule> rules() const;
    // Adds a rule; throws std::invalid_argument for a bad network or kind. Returns its id.
    std::int64_t add_rule(const std::string& kind, const std::string& network,
                          const std::string& reason, std::int64_t expires_at,
                          const std::string& created_by, const std::string& source = "manual");
    bool remove_rule(std::int64_t id);
    // Re-reads the database rules (and drops expired ones).
    void reload();

    struct Watch {
        std::string ip;
        std::uint32_t login_failures = 0;
    };
    [[nodiscard]] std::vector<Watch> watchlist() const;

    [[nodiscard]] const Counters& counters() const { return counters_; }
    [[nodiscard]] std::size_t active_bans() const;

    // Called after a ban (rule or lockout) so the server can drop open connections from the
    // banned network. Set before start().
    std::function<void(const security::IpNetwork&)> on_ban;
    // Called after an automatic lockout (source "login_lockout" or "scan_lockout") with the
    // locked network and why: the audit log records it.
    std::function<void(const std::string& network, std::string_view source, const std::string& why)>
        on_lockout;

private:
    struct Snapshot {
        security::IpSet bans;
        security::IpSet allows;
        std::int64_t next_expiry = 0; // unix ms of the earliest expiring rule; 0 = none
    };

    void rebuild(); // mutex_ held
    std::shared_ptr<const Snapshot> snapshot() const;
    bool lock_out(const security::IpAddress& who, std::string_view source, double minutes,
                  const std::string& why);

    const config::Config& config_;
    storage::IpRuleStore* store_;
    security::IpSet trusted_;
    std::vector<Rule> config_rules_;

    mutable std::mutex mutex_; // guards db_rules_, memory_rules_, rebuilding the snapshot
    std::vector<Rule> db_rules_;
    std::vector<Rule> memory_rules_; // lockouts when there is no database
    std::int64_t next_memory_id_ = -1;
    std::atomic<std::shared_ptr<const Snapshot>> snapshot_;

    std::unique_ptr<security::FailureCounter> logins_;
    std::unique_ptr<security::DistinctCounter> scans_;
    mutable std::mutex watch_mutex_;
    std::vector<std::string> recent_failures_; // addresses with recent failures (watchlist)
    Counters counters_;
};

} // namespace tinyice::server
