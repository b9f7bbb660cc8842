#include "storage/Migrations.hpp"

#include "storage/Database.hpp"
#include "storage/Sqlite.hpp"

#include <fmt/format.h>

#include <array>
#include <string>

namespace tinyice::storage::detail {
namespace {

// Timestamps are unix milliseconds (INTEGER) except library mtime (unix seconds, as stat gives
// it). Text columns that the code treats as "empty = unknown" are NOT NULL DEFAULT '' so that a
// query never has to tell NULL from ''.
constexpr std::string_view schema_v1 = R"sql(
CREATE TABLE library_tracks (
    root          TEXT    NOT NULL,
    path          TEXT    NOT NULL,
    artist        TEXT    NOT NULL DEFAULT '',
    title         TEXT    NOT NULL DEFAULT '',
    album         TEXT    NOT NULL DEFAULT '',
    genre         TEXT    NOT NULL DEFAULT '',
    date          TEXT    NOT NULL DEFAULT '',
    track_no      TEXT    NOT NULL DEFAULT '',
    duration      REAL    NOT NULL DEFAULT 0,
    mtime         INTEGER NOT NULL DEFAULT 0,
    size          INTEGER NOT NULL DEFAULT 0,
    rg_track_gain REAL,
    rg_track_peak REAL,
    loudness_lufs REAL,
    loudness_peak REAL,
    error         TEXT    NOT NULL DEFAULT '',
    added_at      INTEGER NOT NULL,
    PRIMARY KEY (root, path)
);
-- The analyser's work list; a partial index stays as small as the backlog.
CREATE INDEX library_tracks_unanalysed ON library_tracks (root, path)
    WHERE error = '' AND rg_track_gain IS NULL AND loudness_lufs IS NULL;

CREATE TABLE plays (
    id         INTEGER PRIMARY KEY,
    mount      TEXT    NOT NULL,
    started_at INTEGER NOT NULL,
    artist     TEXT    NOT NULL DEFAULT '',
    title      TEXT    NOT NULL DEFAULT '',
    file       TEXT    NOT NULL DEFAULT '',
    duration   REAL    NOT NULL DEFAULT 0,
    listeners  INTEGER NOT NULL DEFAULT 0,
    source     TEXT    NOT NULL DEFAULT ''
);
-- recent() of one mount, newest first, ties by insertion order: a plain index walk, no sort.
CREATE INDEX plays_mount_started ON plays (mount, started_at DESC, id DESC);
-- recent() of all mounts (walked backwards) and prune().
CREATE INDEX plays_started ON plays (started_at);

CREATE TABLE autodj_state (
    station    TEXT    NOT NULL PRIMARY KEY,
    state      TEXT    NOT NULL,
    updated_at INTEGER NOT NULL
);

CREATE TABLE stored_playlists (
    station     TEXT    NOT NULL,
    name        TEXT    NOT NULL,
    entries     TEXT    NOT NULL,  -- JSON array of library-relative paths
    entry_count INTEGER NOT NULL,  -- so listing does not parse every playlist
    updated_at  INTEGER NOT NULL,
    PRIMARY KEY (station, name)
);

CREATE TABLE definitions (
    kind       TEXT    NOT NULL,
    name       TEXT    NOT NULL,
    json       TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (kind, name)
);
)sql";

// Accounts, sessions, API tokens, the audit log, IP rules and listener statistics.
//
// No foreign keys to users: the administrator of the config file (auth.admin_user) has no row
// there but may have sessions and tokens. UserStore keeps sessions and tokens in step with
// renames and deletions instead. Kinds and roles are checked by the stores, not by CHECK
// constraints, which SQLite can only change by rebuilding the table.
constexpr std::string_view schema_v2 = R"sql(
-- AUTOINCREMENT where an id is shown to an administrator: a deleted id is never reused, so a
-- stale page cannot edit or delete the row created after the one it shows.
CREATE TABLE users (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    -- NOCASE (ASCII case folding) makes the UNIQUE index and every lookup by name
    -- case-insensitive; list() walks the same index.
    username      TEXT    NOT NULL UNIQUE COLLATE NOCASE,
    password_hash TEXT    NOT NULL,  -- crypt(3) hash
    role          TEXT    NOT NULL,  -- 'superadmin' | 'admin' | 'dj'
    mounts        TEXT    NOT NULL DEFAULT '[]',  -- JSON array of the mounts a DJ owns
    disabled      INTEGER NOT NULL DEFAULT 0,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    last_login_at INTEGER NOT NULL DEFAULT 0
);

-- Keyed by the SHA-256 of the cookie token; the token itself is never stored.
CREATE TABLE sessions (
    token_hash   TEXT    NOT NULL PRIMARY KEY,
    username     TEXT    NOT NULL COLLATE NOCASE,
    csrf         TEXT    NOT NULL,
    created_at   INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL,  -- absolute
    ip           TEXT    NOT NULL DEFAULT '',
    user_agent   TEXT    NOT NULL DEFAULT ''
) WITHOUT ROWID;
-- list() and remove_user().
CREATE INDEX sessions_user ON sessions (username, created_at DESC);
-- prune(): one index per side of its OR.
CREATE INDEX sessions_expires ON sessions (expires_at);
CREATE INDEX sessions_last_seen ON sessions (last_seen_at);

CREATE TABLE api_tokens (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    username     TEXT    NOT NULL COLLATE NOCASE,
    name         TEXT    NOT NULL,
    token_hash   TEXT    NOT NULL UNIQUE,  -- SHA-256 hex of the token
    prefix       TEXT    NOT NULL DEFAULT '',  -- first characters of the token, for display
    created_at   INTEGER NOT NULL,
    last_used_at INTEGER NOT NULL DEFAULT 0,
    last_used_ip TEXT    NOT NULL DEFAULT '',
    expires_at   INTEGER NOT NULL DEFAULT 0,  -- 0 = never
    revoked_at   INTEGER NOT NULL DEFAULT 0   -- 0 = not revoked
);
-- list() of one user, newest first, and revoke_user().
CREATE INDEX api_tokens_user ON api_tokens (username, id);

CREATE TABLE audit_log (
    id       INTEGER PRIMARY KEY AUTOINCREMENT,  -- pages stay stable even after pruning all
    at       INTEGER NOT NULL,
    username TEXT    NOT NULL DEFAULT '',
    ip       TEXT    NOT NULL DEFAULT '',
    category TEXT    NOT NULL,  -- 'auth', 'streams', 'autodj', 'transcoders', 'users', ...
    action   TEXT    NOT NULL,
    target   TEXT    NOT NULL DEFAULT '',
    detail   TEXT    NOT NULL DEFAULT ''  -- JSON
);
-- query() of one category, newest first.
CREATE INDEX audit_log_category ON audit_log (category, id);
-- prune().
CREATE INDEX audit_log_at ON audit_log (at);

CREATE TABLE ip_rules (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    kind       TEXT    NOT NULL,  -- 'ban' | 'allow'
    network    TEXT    NOT NULL,  -- as given: "10.0.0.0/8", "::1"
    reason     TEXT    NOT NULL DEFAULT '',
    source     TEXT    NOT NULL,  -- 'manual' | 'login_lockout' | 'scan_lockout'
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL DEFAULT 0,  -- 0 = permanent
    created_by TEXT    NOT NULL DEFAULT ''
);
-- remove_expired(); permanent rules stay out of the index.
CREATE INDEX ip_rules_expiring ON ip_rules (expires_at) WHERE expires_at > 0;

-- One row per finished listener connection.
CREATE TABLE listener_sessions (
    id          INTEGER PRIMARY KEY,
    mount       TEXT    NOT NULL,
    started_at  INTEGER NOT NULL,
    ended_at    INTEGER NOT NULL,
    duration_ms INTEGER NOT NULL,
    user_agent  TEXT    NOT NULL DEFAULT '',
    ip_anon     TEXT    NOT NULL DEFAULT '',  -- anonymised by the caller
    bytes       INTEGER NOT NULL DEFAULT 0
);
-- Time ranges over all mounts (top_user_agents(), summary(""), prune()).
CREATE INDEX listener_sessions_started ON listener_sessions (started_at);
-- summary() of one mount without touching the table; mounts().
CREATE INDEX listener_sessions_mount ON listener_sessions (mount, started_at, duration_ms);

-- The listener count of each mount, sampled once a minute.
CREATE TABLE listener_minutes (
    mount     TEXT    NOT NULL,
    minute    INTEGER NOT NULL,  -- unix minute: ms / 60000
    listeners INTEGER NOT NULL,
    PRIMARY KEY (mount, minute)
) WITHOUT ROWID;
-- series("") (the sum over mounts, minute by minute) and prune().
CREATE INDEX listener_minutes_minute ON listener_minutes (minute, listeners);
)sql";

// Append only. A migration runs inside a transaction, so it must not change PRAGMA foreign_keys
// or journal_mode (both are ignored there); a table rebuild that needs foreign keys off has to be
// written so that it does not violate them instead.
constexpr std::array migrations_v = {
    Migration{1, "library, history, autodj state, definitions", schema_v1},
    Migration{2, "users, sessions, api tokens, audit log, ip rules, listener statistics",
              schema_v2},
};

constexpr bool strictly_numbered(std::span<const Migration> list) {
    for (std::size_t i = 0; i < list.size(); ++i) {
        if (list[i].version != static_cast<int>(i) + 1) {
            return false;
        }
    }
    return true;
}
static_assert(strictly_numbered(migrations_v), "migrations must be numbered 1, 2, 3, ... in order");

constexpr std::string_view create_table = R"sql(
CREATE TABLE IF NOT EXISTS schema_migrations (
    version    INTEGER PRIMARY KEY,
    name       TEXT    NOT NULL,
    applied_at INTEGER NOT NULL
))sql";

} // namespace

std::span<const Migration> schema_migrations() {
    return migrations_v;
}

int applied_version(SQLite::Database& db) {
    SQLite::Statement exists(
        db, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'");
    if (!exists.executeStep()) {
        return 0;
    }
    SQLite::Statement newest(db, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations");
    newest.executeStep();
    return newest.getColumn(0).getInt();
}

int apply_migrations(SQLite::Database& db, std::span<const Migration> migrations) {
    int current = applied_version(db);
    int applied = 0;
    for (const Migration& m : migrations) {
        if (m.version <= current) {
            continue;
        }
        SQLite::Transaction tx(db, SQLite::TransactionBehavior::IMMEDIATE);
        db.exec(std::string(create_table));
        current = applied_version(db);
        if (m.version <= current) {
            continue; // another process was faster; tx rolls back nothing of ours
        }
        try {
            db.exec(std::string(m.sql));
        } catch (const SQLite::Exception& e) {
            throw StorageError(
                fmt::format("migration {} ({}) failed: {}", m.version, m.name, e.what()));
        }
        SQLite::Statement record(
            db, "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)");
        record.bind(1, m.version);
        detail::bind_text(record, 2, m.name);
        record.bind(3, unix_ms_now());
        record.exec();
        tx.commit();
        current = m.version;
        ++applied;
    }
    return applied;
}

} // namespace tinyice::storage::detail
