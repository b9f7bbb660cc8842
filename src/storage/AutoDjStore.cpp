#include "storage/AutoDjStore.hpp"

#include "storage/Sqlite.hpp"
#include "storage/TextFields.hpp"

#include <fmt/format.h>

namespace tinyice::storage {

AutoDjStore::AutoDjStore(Database& db) : db_(db) {}

std::optional<std::string> AutoDjStore::load_state(std::string_view station) const {
    return db_.with([&](SQLite::Database& db) -> std::optional<std::string> {
        SQLite::Statement st(db, "SELECT state FROM autodj_state WHERE station = ?");
        detail::bind_text(st, 1, station);
        if (!st.executeStep()) {
            return std::nullopt;
        }
        return st.getColumn(0).getString();
    });
}

void AutoDjStore::save_state(std::string_view station, std::string_view json_text) {
    db_.with([&](SQLite::Database& db) {
        SQLite::Statement st(db, "INSERT INTO autodj_state (station, state, updated_at) "
                                 "VALUES (?, ?, ?) ON CONFLICT (station) DO UPDATE SET "
                                 "state = excluded.state, updated_at = excluded.updated_at");
        detail::bind_text(st, 1, station);
        detail::bind_text(st, 2, json_text);
        st.bind(3, unix_ms_now());
        st.exec();
    });
}

void AutoDjStore::delete_state(std::string_view station) {
    db_.with([&](SQLite::Database& db) {
        SQLite::Transaction tx(db);
        for (const char* sql : {"DELETE FROM autodj_state WHERE station = ?",
                                "DELETE FROM stored_playlists WHERE station = ?"}) {
            SQLite::Statement st(db, sql);
            detail::bind_text(st, 1, station);
            st.exec();
        }
        tx.commit();
    });
}

std::vector<StoredPlaylistInfo> AutoDjStore::list_playlists(std::string_view station) const {
    return db_.with([&](SQLite::Database& db) {
        SQLite::Statement st(db, "SELECT name, entry_count, updated_at FROM stored_playlists "
                                 "WHERE station = ? ORDER BY name");
        detail::bind_text(st, 1, station);
        std::vector<StoredPlaylistInfo> out;
        while (st.executeStep()) {
            out.push_back(StoredPlaylistInfo{
                .name = st.getColumn(0).getString(),
                .entries = static_cast<std::size_t>(st.getColumn(1).getInt64()),
                .updated_at = st.getColumn(2).getInt64(),
            });
        }
        return out;
    });
}

std::optional<std::vector<std::string>> AutoDjStore::load_playlist(std::string_view station,
                                                                   std::string_view name) const {
    std::optional<std::string> text =
        db_.with([&](SQLite::Database& db) -> std::optional<std::string> {
            SQLite::Statement st(
                db, "SELECT entries FROM stored_playlists WHERE station = ? AND name = ?");
            detail::bind_text(st, 1, station);
            detail::bind_text(st, 2, name);
            if (!st.executeStep()) {
                return std::nullopt;
            }
            return st.getColumn(0).getString();
        });
    if (!text) {
        return std::nullopt;
    }
    auto paths = detail::decode_string_array(*text); // parsed outside the connection lock
    if (!paths) {
        throw StorageError(detail::describe(
            db_.path(),
            fmt::format(R"(stored playlist "{}" of station "{}" is corrupt)", name, station)));
    }
    return paths;
}

void AutoDjStore::save_playlist(std::string_view station, std::string_view name,
                                const std::vector<std::string>& paths) {
    const std::string entries = detail::encode_string_array(paths);
    db_.with([&](SQLite::Database& db) {
        SQLite::Statement st(
            db, "INSERT INTO stored_playlists (station, name, entries, entry_count, updated_at) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT (station, name) DO UPDATE SET "
                "entries = excluded.entries, entry_count = excluded.entry_count, "
                "updated_at = excluded.updated_at");
        detail::bind_text(st, 1, station);
        detail::bind_text(st, 2, name);
        st.bindNoCopy(3, entries);
        st.bind(4, detail::to_i64(paths.size()));
        st.bind(5, unix_ms_now());
        st.exec();
    });
}

bool AutoDjStore::remove_playlist(std::string_view station, std::string_view name) {
    return db_.with([&](SQLite::Database& db) {
        SQLite::Statement st(db, "DELETE FROM stored_playlists WHERE station = ? AND name = ?");
        detail::bind_text(st, 1, station);
        detail::bind_text(st, 2, name);
        return st.exec() > 0;
    });
}

} // namespace tinyice::storage
