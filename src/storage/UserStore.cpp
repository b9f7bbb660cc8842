#include "storage/UserStore.hpp"

#include "storage/Sqlite.hpp"
#include "storage/TextFields.hpp"

#include <fmt/format.h>

#include <array>

namespace tinyice::storage {
namespace {

constexpr const char* select_user = "SELECT id, username, password_hash, role, mounts, disabled, "
                                    "created_at, updated_at, last_login_at FROM users";

void check_username(std::string_view username) {
    detail::check_length("username", username, UserStore::max_username_bytes);
    detail::check_printable("username", username);
}

void check_password_hash(std::string_view hash) {
    detail::check_length("password hash", hash, UserStore::max_password_hash_bytes);
}

// Everything update() writes.
void check_profile(const UserRecord& u) {
    check_username(u.username);
    detail::check_one_of("role", u.role, {"superadmin", "admin", "dj"});
    if (u.mounts.size() > UserStore::max_mounts) {
        throw StorageError(fmt::format("a user owns at most {} mounts", UserStore::max_mounts));
    }
    for (const std::string& mount : u.mounts) {
        detail::check_length("mount name", mount, detail::max_mount_bytes);
    }
}

UserRecord read_user(const Database& database, const SQLite::Statement& st) {
    UserRecord u;
    u.id = st.getColumn(0).getInt64();
    u.username = st.getColumn(1).getString();
    u.password_hash = st.getColumn(2).getString();
    u.role = st.getColumn(3).getString();
    auto mounts = detail::decode_string_array(st.getColumn(4).getString());
    if (!mounts) {
        throw StorageError(detail::describe(
            database.path(), fmt::format(R"(mounts of user "{}" are corrupt)", u.username)));
    }
    u.mounts = std::move(*mounts);
    u.disabled = st.getColumn(5).getInt() != 0;
    u.created_at = st.getColumn(6).getInt64();
    u.updated_at = st.getColumn(7).getInt64();
    u.last_login_at = st.getColumn(8).getInt64();
    return u;
}

// Sessions and tokens name their user; these follow a rename or go with the user.
constexpr std::array<const char*, 2> rename_dependents = {
    "UPDATE sessions SET username = :new WHERE username = :old",
    "UPDATE api_tokens SET username = :new WHERE username = :old",
};
constexpr std::array<const char*, 2> delete_dependents = {
    "DELETE FROM sessions WHERE username = :old",
    "DELETE FROM api_tokens WHERE username = :old",
};

} // namespace

UserStore::UserStore(Database& db) : db_(db) {}

std::vector<UserRecord> UserStore::list() const {
    return db_.with([&](SQLite::Database& db) {
        SQLite::Statement st(db, std::string(select_user) + " ORDER BY username");
        std::vector<UserRecord> out;
        while (st.executeStep()) {
            out.push_back(read_user(db_, st));
        }
        return out;
    });
}

std::optional<UserRecord> UserStore::find(std::string_view username) const {
    return db_.with([&](SQLite::Database& db) -> std::optional<UserRecord> {
        // The column's NOCASE collation applies to the comparison.
        SQLite::Statement st(db, std::string(select_user) + " WHERE username = ?");
        detail::bind_text(st, 1, username);
        if (!st.executeStep()) {
            return std::nullopt;
        }
        return read_user(db_, st);
    });
}

std::optional<UserRecord> UserStore::get(std::int64_t id) const {
    return db_.with([&](SQLite::Database& db) -> std::optional<UserRecord> {
        SQLite::Statement st(db, std::string(select_user) + " WHERE id = ?");
        st.bind(1, id);
        if (!st.executeStep()) {
            return std::nullopt;
        }
        return read_user(db_, st);
    });
}

std::optional<std::int64_t> UserStore::create(const UserRecord& u) {
    check_profile(u);
    check_password_hash(u.password_hash);
    const std::string mounts = detail::encode_string_array(u.mounts);
    const std::int64_t created_at = u.created_at != 0 ? u.created_at : unix_ms_now();
    const std::int64_t updated_at = u.updated_at != 0 ? u.updated_at : created_at;
    return db_.with([&](SQLite::Database& db) -> std::optional<std::int64_t> {
        SQLite::Statement st(db, "INSERT INTO users (username, password_hash, role, mounts, "
                                 "disabled, created_at, updated_at, last_login_at) "
                                 "VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
                                 "ON CONFLICT (username) DO NOTHING");
        st.bindNoCopy(1, u.username);
        st.bindNoCopy(2, u.password_hash);
        st.bindNoCopy(3, u.role);
        st.bindNoCopy(4, mounts);
        st.bind(5, u.disabled ? 1 : 0);
        st.bind(6, created_at);
        st.bind(7, updated_at);
        st.bind(8, u.last_login_at);
        if (st.exec() == 0) {
            return std::nullopt;
        }
        return db.getLastInsertRowid();
    });
}

bool UserStore::update(const UserRecord& u) {
    check_profile(u);
    const std::string mounts = detail::encode_string_array(u.mounts);
    const std::int64_t now = unix_ms_now();
    return db_.with([&](SQLite::Database& db) {
        SQLite::Transaction tx(db, SQLite::TransactionBehavior::IMMEDIATE);
        SQLite::Statement current(db, "SELECT username FROM users WHERE id = ?");
        current.bind(1, u.id);
        if (!current.executeStep()) {
            return false;
        }
        const std::string old_name = current.getColumn(0).getString();
        current.reset();

        SQLite::Statement taken(db, "SELECT 1 FROM users WHERE username = ? AND id <> ?");
        taken.bindNoCopy(1, u.username);
        taken.bind(2, u.id);
        if (taken.executeStep()) {
            throw StorageError(fmt::format(R"(username "{}" is already taken)", u.username));
        }

        SQLite::Statement st(db, "UPDATE users SET username = ?, role = ?, mounts = ?, "
                                 "disabled = ?, updated_at = ? WHERE id = ?");
        st.bindNoCopy(1, u.username);
        st.bindNoCopy(2, u.role);
        st.bindNoCopy(3, mounts);
        st.bind(4, u.disabled ? 1 : 0);
        st.bind(5, now);
        st.bind(6, u.id);
        st.exec();

        // A change of case only ("bob" -> "Bob") still updates them, so every row shows the
        // name as now written.
        if (old_name != u.username) {
            for (const char* sql : rename_dependents) {
                SQLite::Statement dep(db, sql);
                dep.bind(":new", u.username);
                dep.bind(":old", old_name);
                dep.exec();
            }
        }
        tx.commit();
        return true;
    });
}

bool UserStore::set_password(std::int64_t id, std::string_view hash) {
    check_password_hash(hash);
    const std::int64_t now = unix_ms_now();
    return db_.with([&](SQLite::Database& db) {
        SQLite::Statement st(db, "UPDATE users SET password_hash = ?, updated_at = ? WHERE id = ?");
        detail::bind_text(st, 1, hash);
        st.bind(2, now);
        st.bind(3, id);
        return st.exec() > 0;
    });
}

bool UserStore::remove(std::int64_t id) {
    return db_.with([&](SQLite::Database& db) {
        SQLite::Transaction tx(db, SQLite::TransactionBehavior::IMMEDIATE);
        SQLite::Statement current(db, "SELECT username FROM users WHERE id = ?");
        current.bind(1, id);
        if (!current.executeStep()) {
            return false;
        }
        const std::string name = current.getColumn(0).getString();
        current.reset();
        for (const char* sql : delete_dependents) {
            SQLite::Statement dep(db, sql);
            dep.bind(":old", name);
            dep.exec();
        }
        SQLite::Statement st(db, "DELETE FROM users WHERE id = ?");
        st.bind(1, id);
        st.exec();
        tx.commit();
        return true;
    });
}

void UserStore::touch_login(std::int64_t id, std::int64_t at) {
    db_.with([&](SQLite::Database& db) {
        SQLite::Statement st(db,
                             "UPDATE users SET last_login_at = MAX(last_login_at, ?) WHERE id = ?");
        st.bind(1, at);
        st.bind(2, id);
        st.exec();
    });
}

std::size_t UserStore::count() const {
    return db_.with([&](SQLite::Database& db) {
        return static_cast<std::size_t>(db.execAndGet("SELECT COUNT(*) FROM users").getInt64());
    });
}

} // namespace tinyice::storage
