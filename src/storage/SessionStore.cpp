#include "storage/SessionStore.hpp"

#include "storage/Sqlite.hpp"
#include "storage/TextFields.hpp"
#include "storage/UserStore.hpp"

#include <limits>

namespace tinyice::storage {
namespace {

constexpr const char* select_session = "SELECT token_hash, username, csrf, created_at, "
                                       "last_seen_at, expires_at, ip, user_agent FROM sessions";

SessionRecord read_session(const SQLite::Statement& st) {
    return SessionRecord{
        .token_hash = st.getColumn(0).getString(),
        .username = st.getColumn(1).getString(),
        .csrf = st.getColumn(2).getString(),
        .created_at = st.getColumn(3).getInt64(),
        .last_seen_at = st.getColumn(4).getInt64(),
        .expires_at = st.getColumn(5).getInt64(),
        .ip = st.getColumn(6).getString(),
        .user_agent = st.getColumn(7).getString(),
    };
}

} // namespace

SessionStore::SessionStore(Database& db) : db_(db) {}

void SessionStore::create(const SessionRecord& s) {
    detail::check_length("session token hash", s.token_hash, max_token_hash_bytes);
    detail::check_length("session username", s.username, UserStore::max_username_bytes);
    detail::check_length("session CSRF token", s.csrf, max_csrf_bytes);
    std::string ip = s.ip;
    std::string user_agent = s.user_agent;
    detail::clip_utf8(ip, max_ip_bytes);
    detail::clip_utf8(user_agent, max_user_agent_bytes);
    const std::int64_t created_at = s.created_at != 0 ? s.created_at : unix_ms_now();
    const std::int64_t last_seen_at = s.last_seen_at != 0 ? s.last_seen_at : created_at;
    db_.with([&](SQLite::Database& db) {
        SQLite::Statement st(db, "INSERT INTO sessions (token_hash, username, csrf, created_at, "
                                 "last_seen_at, expires_at, ip, user_agent) "
                                 "VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
        st.bindNoCopy(1, s.token_hash);
        st.bindNoCopy(2, s.username);
        st.bindNoCopy(3, s.csrf);
        st.bind(4, created_at);
        st.bind(5, last_seen_at);
        st.bind(6, s.expires_at);
        st.bindNoCopy(7, ip);
        st.bindNoCopy(8, user_agent);
        st.exec();
    });
}

std::optional<SessionRecord> SessionStore::find(std::string_view token_hash) const {
    return db_.with([&](SQLite::Database& db) -> std::optional<SessionRecord> {
        SQLite::Statement st(db, std::string(select_session) + " WHERE token_hash = ?");
        detail::bind_text(st, 1, token_hash);
        if (!st.executeStep()) {
            return std::nullopt;
        }
        return read_session(st);
    });
}

void SessionStore::touch(std::string_view token_hash, std::int64_t last_seen_at) {
    db_.with([&](SQLite::Database& db) {
        SQLite::Statement st(db, "UPDATE sessions SET last_seen_at = ? "
                                 "WHERE token_hash = ? AND last_seen_at < ?");
        st.bind(1, last_seen_at);
        detail::bind_text(st, 2, token_hash);
        st.bind(3, last_seen_at);
        st.exec();
    });
}

bool SessionStore::remove(std::string_view token_hash) {
    return db_.with([&](SQLite::Database& db) {
        SQLite::Statement st(db, "DELETE FROM sessions WHERE token_hash = ?");
        detail::bind_text(st, 1, token_hash);
        return st.exec() > 0;
    });
}

std::size_t SessionStore::remove_user(std::string_view username) {
    return db_.with([&](SQLite::Database& db) {
        SQLite::Statement st(db, "DELETE FROM sessions WHERE username = ?");
        detail::bind_text(st, 1, username);
        return static_cast<std::size_t>(st.exec());
    });
}

std::size_t SessionStore::prune(std::int64_t now, std::int64_t idle_ms) {
    // Idle means last seen before now - idle_ms; a huge idle_ms (or none) leaves only the
    // absolute expiry.
    const bool idle_rule = idle_ms > 0 && now > std::numeric_limits<std::int64_t>::min() + idle_ms;
    return db_.with([&](SQLite::Database& db) {
        SQLite::Statement st(db, idle_rule ? "DELETE FROM sessions WHERE expires_at <= ? "
                                             "OR last_seen_at < ?"
                                           : "DELETE FROM sessions WHERE expires_at <= ?");
        st.bind(1, now);
        if (idle_rule) {
            st.bind(2, now - idle_ms);
        }
        return static_cast<std::size_t>(st.exec());
    });
}

std::vector<SessionRecord> SessionStore::list(std::string_view username) const {
    return db_.with([&](SQLite::Database& db) {
        SQLite::Statement st(
            db, std::string(select_session) +
                    (username.empty()
                         ? " ORDER BY username, created_at DESC LIMIT ?"
                         : " WHERE username = ? ORDER BY username, created_at DESC LIMIT ?"));
        int index = 1;
        if (!username.empty()) {
            detail::bind_text(st, index++, username);
        }
        st.bind(index, static_cast<std::int64_t>(max_listed));
        std::vector<SessionRecord> out;
        while (st.executeStep()) {
            out.push_back(read_session(st));
        }
        return out;
    });
}

} // namespace tinyice::storage
