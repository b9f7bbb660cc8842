#pragma once
// Login sessions of the web interface, keyed by the SHA-256 (hex) of the session cookie's token:
// the token itself is never stored, so a copy of the database logs nobody in. Each session
// carries its CSRF token and ends at expires_at or after an idle period (prune()).
//
// The store keeps what it is given and judges nothing: find() returns expired sessions too;
// the caller checks expires_at and idleness against its clock.

#include "storage/Database.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tinyice::storage {

struct SessionRecord {
    std::string token_hash; // SHA-256 hex of the cookie token
    std::string username;
    std::string csrf;
    std::int64_t created_at = 0;   // unix ms; 0 in create() = now
    std::int64_t last_seen_at = 0; // unix ms; 0 in create() = created_at
    std::int64_t expires_at = 0;   // unix ms, absolute; the session ends at this time
    std::string ip;                // client address at login (clipped to max_ip_bytes)
    std::string user_agent;        // clipped to max_user_agent_bytes
    bool operator==(const SessionRecord&) const = default;
};

class SessionStore {
public:
    static constexpr std::size_t max_token_hash_bytes = 128;
    static constexpr std::size_t max_csrf_bytes = 128;
    static constexpr std::size_t max_ip_bytes = 64;
    static constexpr std::size_t max_user_agent_bytes = 512;
    static constexpr std::size_t max_listed = 10000; // list() returns at most this many

    explicit SessionStore(Database& db);

    // Throws StorageError for an empty or over-long token hash, username or CSRF token, and
    // when a session with this token hash exists.
    void create(const SessionRecord& s);
    [[nodiscard]] std::optional<SessionRecord> find(std::string_view token_hash) const;
    // Records activity; an older time than the stored one is ignored (requests finish out of
    // order).
    void touch(std::string_view token_hash, std::int64_t last_seen_at);
    bool remove(std::string_view token_hash);
    // All sessions of a user (the name compared case-insensitively); returns how many.
    std::size_t remove_user(std::string_view username);
    // Deletes sessions with expires_at <= now, and, when idle_ms > 0, those last seen more than
    // idle_ms before now; returns how many.
    std::size_t prune(std::int64_t now, std::int64_t idle_ms);
    // The sessions of `username` newest first; "" = every user's, by user, then newest first.
    [[nodiscard]] std::vector<SessionRecord> list(std::string_view username) const;

private:
    Database& db_;
};

} // namespace tinyice::storage
