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

// Append only. A migration runs inside a transaction, so it must not change PRAGMA foreign_keys
// or journal_mode (both are ignored there); a table rebuild that needs foreign keys off has to be
// written so that it does not violate them instead.
constexpr std::array migrations_v = {
    Migration{1, "library, history, autodj state, definitions", schema_v1},
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
