#include "storage/DefinitionStore.hpp"

#include "storage/Sqlite.hpp"

namespace tinyice::storage {
namespace {

Definition read_definition(const SQLite::Statement& st) {
    return Definition{
        .kind = st.getColumn(0).getString(),
        .name = st.getColumn(1).getString(),
        .json = st.getColumn(2).getString(),
        .created_at = st.getColumn(3).getInt64(),
        .updated_at = st.getColumn(4).getInt64(),
    };
}

} // namespace

DefinitionStore::DefinitionStore(Database& db) : db_(db) {}

std::vector<Definition> DefinitionStore::list(std::string_view kind) const {
    return db_.with([&](SQLite::Database& db) {
        SQLite::Statement st(db, "SELECT kind, name, json, created_at, updated_at "
                                 "FROM definitions WHERE kind = ? ORDER BY name");
        detail::bind_text(st, 1, kind);
        std::vector<Definition> out;
        while (st.executeStep()) {
            out.push_back(read_definition(st));
        }
        return out;
    });
}

std::optional<Definition> DefinitionStore::get(std::string_view kind, std::string_view name) const {
    return db_.with([&](SQLite::Database& db) -> std::optional<Definition> {
        SQLite::Statement st(db, "SELECT kind, name, json, created_at, updated_at "
                                 "FROM definitions WHERE kind = ? AND name = ?");
        detail::bind_text(st, 1, kind);
        detail::bind_text(st, 2, name);
        if (!st.executeStep()) {
            return std::nullopt;
        }
        return read_definition(st);
    });
}

void DefinitionStore::put(std::string_view kind, std::string_view name, std::string_view json) {
    const std::int64_t now = unix_ms_now();
    db_.with([&](SQLite::Database& db) {
        SQLite::Statement st(db, "INSERT INTO definitions (kind, name, json, created_at, "
                                 "updated_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (kind, name) "
                                 "DO UPDATE SET json = excluded.json, "
                                 "updated_at = excluded.updated_at");
        detail::bind_text(st, 1, kind);
        detail::bind_text(st, 2, name);
        detail::bind_text(st, 3, json);
        st.bind(4, now);
        st.bind(5, now);
        st.exec();
    });
}

bool DefinitionStore::remove(std::string_view kind, std::string_view name) {
    return db_.with([&](SQLite::Database& db) {
        SQLite::Statement st(db, "DELETE FROM definitions WHERE kind = ? AND name = ?");
        detail::bind_text(st, 1, kind);
        detail::bind_text(st, 2, name);
        return st.exec() > 0;
    });
}

} // namespace tinyice::storage
