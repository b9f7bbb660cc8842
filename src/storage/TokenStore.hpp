#pragma once
// API tokens: long-lived bearer credentials a user creates for scripts. Like sessions they are
// stored as the SHA-256 (hex) of the token, plus its first characters so a user can tell them
// apart. Revoking keeps the row (revoked_at) so the list shows what was revoked and when;
// tokens go away with their user (UserStore::remove).
//
// The store judges nothing: find_by_hash() returns revoked and expired tokens too; the caller
// checks revoked_at and expires_at.

#include "storage/Database.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tinyice::storage {

struct TokenRecord {
    std::int64_t id = 0; // assigned by create()
    std::string username;
    std::string name;              // what the user called it: "backup script"
    std::string token_hash;        // SHA-256 hex of the token; unique
    std::string prefix;            // first characters of the token, for display
    std::int64_t created_at = 0;   // unix ms; 0 in create() = now
    std::int64_t last_used_at = 0; // 0 = never
    std::string last_used_ip;
    std::int64_t expires_at = 0; // 0 = never
    std::int64_t revoked_at = 0; // 0 = not revoked
    bool operator==(const TokenRecord&) const = default;
};

class TokenStore {
public:
    static constexpr std::size_t max_name_bytes = 100;
    static constexpr std::size_t max_token_hash_bytes = 128;
    static constexpr std::size_t max_prefix_bytes = 16;
    static constexpr std::size_t max_ip_bytes = 64;
    static constexpr std::size_t max_listed = 10000; // list() returns at most this many

    explicit TokenStore(Database& db);

    // Returns the id. Throws StorageError for an empty or over-long username, name or hash, an
    // over-long prefix, and when a token with this hash exists.
    std::int64_t create(const TokenRecord& t);
    [[nodiscard]] std::optional<TokenRecord> find_by_hash(std::string_view token_hash) const;
    // Newest first. `username` "" = every user's tokens (the name is compared
    // case-insensitively).
    [[nodiscard]] std::vector<TokenRecord> list(std::string_view username) const;
    // True when the token existed and was not revoked yet (revoking twice keeps the first time).
    // `at` <= 0 = now, here and in revoke_user().
    bool revoke(std::int64_t id, std::int64_t at);
    // Records a use; an older `at` than the stored one is ignored (requests finish out of order).
    void touch(std::int64_t id, std::int64_t at, std::string_view ip);
    // Revokes every token of the user not revoked yet; returns how many.
    std::size_t revoke_user(std::string_view username, std::int64_t at);

private:
    Database& db_;
};

} // namespace tinyice::storage
