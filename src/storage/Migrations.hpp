#pragma once
// Versioned schema migrations. The schema is the ordered list in Migrations.cpp; a change to the
// schema is one more entry appended to it (never an edit of an applied one). Each applied
// migration leaves a row in schema_migrations, so the newest version is MAX(version).
//
// Private to src/storage (takes the SQLiteCpp connection); the list is a parameter so tests can
// run a broken migration.

#include <span>
#include <string_view>

namespace SQLite {
class Database;
}

namespace tinyice::storage::detail {

struct Migration {
    int version;           // 1, 2, 3, ... in order, no gaps
    std::string_view name; // what it adds, for the log and schema_migrations
    std::string_view sql;  // one or more statements
};

// The schema of this build, oldest first.
std::span<const Migration> schema_migrations();

// The newest applied version; 0 for a database that has none (new, or not ours yet). Reads only.
int applied_version(SQLite::Database& db);

// Applies every migration newer than the database, each in its own IMMEDIATE transaction (all or
// nothing; the version is read again inside it, so two processes opening the same file at once
// do not both apply it). Returns how many were applied. A failed migration throws StorageError
// "migration <version> (<name>) failed: <why>" and leaves the database at the version before.
// The caller refuses databases newer than `migrations` before calling this.
int apply_migrations(SQLite::Database& db, std::span<const Migration> migrations);

} // namespace tinyice::storage::detail
