#include "storage/TokenStore.hpp"

#include "storage/Sqlite.hpp"
#include "storage/TextFields.hpp"
#include "storage/UserStore.hpp"

namespace tinyice::storage {
namespace {

constexpr const char* select_token =
    "SELECT id, username, name, token_hash, prefix, created_at, last_used_at, last_used_ip, "
    "expires_at, revoked_at FROM api_tokens";

TokenRecord read_token(const SQLite::Statement& st) {
    return TokenRecord{
        .id = st.getColumn(0).getInt64(),
        .username = st.getColumn(1).getString(),
        .name = st.getColumn(2).getString(),
        .token_hash = st.getColumn(3).getString(),
        .prefix = st.getColumn(4).getString(),
        .created_at = st.getColumn(5).getInt64(),
        .last_used_at = st.getColumn(6).getInt64(),
        .last_used_ip = st.getColumn(7).getString(),
        .expires_at = st.getColumn(8).getInt64(),
        .revoked_at = st.getColumn(9).getInt64(),
    };
}

// revoked_at 0 means "not revoked", so a revocation needs a real time.
std::int64_t revocation_time(std::int64_t at) {
    return at > 0 ? at : unix_ms_now();
}

} // namespace

TokenStore::TokenStore(Database& db) : db_(db) {}

std::int64_t TokenStore::create(const TokenRecord& t) {
    detail::check_length("token username", t.username, UserStore::max_username_bytes);
    detail::check_length("token name", t.name, max_name_bytes);
    detail::check_length("token hash", t.token_hash, max_token_hash_bytes);
    detail::check_length("token prefix", t.prefix, max_prefix_bytes, false);
    std::string ip = t.last_used_ip;
    detail::clip_utf8(ip, max_ip_bytes);
    const std::int64_t created_at = t.created_at != 0 ? t.created_at : unix_ms_now();
    return db_.with([&](SQLite::Database& db) {
        SQLite::Statement st(db, "INSERT INTO api_tokens (username, name, token_hash, prefix, "
                                 "created_at, last_used_at, last_used_ip, expires_at, "
                                 "revoked_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)");
        st.bindNoCopy(1, t.username);
        st.bindNoCopy(2, t.name);
        st.bindNoCopy(3, t.token_hash);
        st.bindNoCopy(4, t.prefix);
        st.bind(5, created_at);
        st.bind(6, t.last_used_at);
        st.bindNoCopy(7, ip);
        st.bind(8, t.expires_at);
        st.bind(9, t.revoked_at);
        st.exec();
        return db.getLastInsertRowid();
    });
}

std::optional<TokenRecord> TokenStore::find_by_hash(std::string_view token_hash) const {
    return db_.with([&](SQLite::Database& db) -> std::optional<TokenRecord> {
        SQLite::Statement st(db, std::string(select_token) + " WHERE token_hash = ?");
        detail::bind_text(st, 1, token_hash);
        if (!st.executeStep()) {
            return std::nullopt;
        }
        return read_token(st);
    });
}

std::vector<TokenRecord> TokenStore::list(std::string_view username) const {
    return db_.with([&](SQLite::Database& db) {
        // Ids only grow (AUTOINCREMENT), so the newest token has the largest.
        SQLite::Statement st(db, std::string(select_token) +
                                     (username.empty() ? " ORDER BY id DESC LIMIT ?"
                                                       : " WHERE username = ? ORDER BY id DESC "
                                                         "LIMIT ?"));
        int index = 1;
        if (!username.empty()) {
            detail::bind_text(st, index++, username);
        }
        st.bind(index, static_cast<std::int64_t>(max_listed));
        std::vector<TokenRecord> out;
        while (st.executeStep()) {
            out.push_back(read_token(st));
        }
        return out;
    });
}

bool TokenStore::revoke(std::int64_t id, std::int64_t at) {
    return db_.with([&](SQLite::Database& db) {
        SQLite::Statement st(
            db, "UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at = 0");
        st.bind(1, revocation_time(at));
        st.bind(2, id);
        return st.exec() > 0;
    });
}

void TokenStore::touch(std::int64_t id, std::int64_t at, std::string_view ip) {
    std::string clipped(ip);
    detail::clip_utf8(clipped, max_ip_bytes);
    db_.with([&](SQLite::Database& db) {
        SQLite::Statement st(db, "UPDATE api_tokens SET last_used_at = ?, last_used_ip = ? "
                                 "WHERE id = ? AND last_used_at <= ?");
        st.bind(1, at);
        st.bindNoCopy(2, clipped);
        st.bind(3, id);
        st.bind(4, at);
        st.exec();
    });
}

std::size_t TokenStore::revoke_user(std::string_view username, std::int64_t at) {
    return db_.with([&](SQLite::Database& db) {
        SQLite::Statement st(
            db, "UPDATE api_tokens SET revoked_at = ? WHERE username = ? AND revoked_at = 0");
        st.bind(1, revocation_time(at));
        detail::bind_text(st, 2, username);
        return static_cast<std::size_t>(st.exec());
    });
}

} // namespace tinyice::storage
