#pragma once
// User accounts and how callers prove who they are: passwords (the built-in administrator of the
// config file, and users in the database), login sessions (a random cookie token, stored only as
// its SHA-256, with a CSRF token, idle and absolute expiry, kept in the database so they survive
// restarts), and API tokens (shown once, stored as SHA-256, revocable, with an optional expiry).
// Also the JSON API for sessions, users and tokens (AccountsApi.cpp).
//
// Every method may block (SQLite, password hashing): call them on worker threads, never on an
// event loop. Thread-safe.

#include "config/Config.hpp"
#include "http/Router.hpp"
#include "protocol/http/Auth.hpp"
#include "storage/AuditStore.hpp"
#include "storage/SessionStore.hpp"
#include "storage/TokenStore.hpp"
#include "storage/UserStore.hpp"

#include <chrono>
#include <cstdint>
#include <list>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace tinyice::server {

class AccessControl;

class Accounts {
public:
    static constexpr std::size_t min_password_length = 10;
    static constexpr std::size_t max_password_length = 1024;
    static constexpr std::string_view cookie_name = "tinyice_session";
    static constexpr std::string_view token_prefix = "tki_";

    struct Stores {
        storage::UserStore& users;
        storage::SessionStore& sessions;
        storage::TokenStore& tokens;
        storage::AuditStore* audit = nullptr;
    };

    Accounts(const config::Config& cfg, Stores stores, AccessControl& access);

    // ---- authentication ----------------------------------------------------------------------
    // A user name and password: the built-in administrator or an enabled user. Unknown names
    // take as long as known ones (checked against a dummy hash).
    std::optional<http::Principal> check_password(std::string_view username,
                                                  std::string_view password);
    struct Session {
        std::string token; // the cookie value (never stored)
        std::string csrf;
        std::int64_t expires_at = 0; // unix ms (absolute limit)
    };
    Session create_session(const http::Principal& who, std::string_view ip,
                           std::string_view user_agent);
    // The principal of a session cookie, with principal.csrf set; nullopt when unknown, idle
    // too long, past its absolute limit, or its user is gone or disabled.
    std::optional<http::Principal> from_session(std::string_view token);
    void end_session(std::string_view token);
    // "tki_..." tokens; nullopt when unknown, revoked, expired, or the owner is gone/disabled.
    std::optional<http::Principal> from_token(std::string_view token, std::string_view ip);
    // Ends every session of a user (password change, role change, deletion) and forgets cached
    // principals of that user.
    void end_user_sessions(std::string_view username);

    // Deletes expired sessions (called periodically).
    std::size_t prune_sessions();

    [[nodiscard]] const config::Config& config() const { return config_; }
    [[nodiscard]] std::chrono::minutes session_idle() const { return idle_; }

    void register_routes(http::Router& router);

private:
    std::optional<http::Principal> principal_of(const storage::UserRecord& u) const;
    http::Principal builtin_admin() const;
    std::optional<http::Principal> lookup_user(std::string_view username) const;
    void audit(const http::Request& req, std::string_view category, std::string_view action,
               std::string_view target, std::string detail = "{}");
    void forget_cached(std::string_view username);

    // API handlers (AccountsApi.cpp).
    http::Response api_login(http::Request& req);
    http::Response api_whoami(http::Request& req);
    http::Response api_logout(http::Request& req);
    http::Response api_change_password(http::Request& req);
    http::Response api_users(http::Request& req);
    http::Response api_create_user(http::Request& req);
    http::Response api_update_user(http::Request& req);
    http::Response api_delete_user(http::Request& req);
    http::Response api_tokens(http::Request& req);
    http::Response api_create_token(http::Request& req);
    http::Response api_revoke_token(http::Request& req);

    const config::Config& config_;
    Stores stores_;
    AccessControl& access_;
    const std::chrono::minutes idle_;
    const std::chrono::hours max_age_;
    const std::string dummy_hash_;

    // Recently validated sessions and tokens (hash -> principal), so an API call does not cost
    // a database read each time. Short-lived; dropped on logout and user changes.
    struct Cached {
        http::Principal principal;
        std::int64_t valid_until = 0; // steady ms
        std::int64_t expires_at = 0;  // unix ms: the session's absolute end
        std::int64_t last_touch = 0;  // unix ms of the last last_seen_at write
        std::int64_t token_id = 0;    // API tokens
    };
    std::mutex cache_mutex_;
    std::unordered_map<std::string, Cached> cache_;
    // Bumped whenever sessions end or a user changes: a lookup that read the database before
    // such a change does not put its (stale) principal into the cache.
    std::uint64_t cache_generation_ = 0;
};

} // namespace tinyice::server
