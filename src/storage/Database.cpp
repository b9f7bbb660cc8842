#include "storage/Database.hpp"

#include "storage/Migrations.hpp"
#include "storage/Sqlite.hpp"
#include "util/Log.hpp"

#include <fmt/format.h>

#include <chrono>
#include <sqlite3.h>
#include <system_error>

namespace tinyice::storage {
namespace {

namespace fs = std::filesystem;

constexpr int busy_timeout_ms = 5000;

bool is_memory(const fs::path& path) {
    return path.native() == ":memory:";
}

// SQLite's own message for a missing folder is "unable to open database file"; say which.
void check_location(const fs::path& path) {
    if (path.empty()) {
        throw StorageError("database path is empty");
    }
    std::error_code ec;
    const fs::path dir = path.has_parent_path() ? path.parent_path() : fs::path(".");
    const bool is_dir = fs::is_directory(dir, ec);
    if (ec && ec != std::errc::no_such_file_or_directory) {
        throw StorageError(detail::describe(
            path, fmt::format("cannot access directory {}: {}", dir.string(), ec.message())));
    }
    if (!is_dir) {
        throw StorageError(
            detail::describe(path, fmt::format("directory {} does not exist", dir.string())));
    }
    if (fs::is_directory(path, ec)) {
        throw StorageError(detail::describe(path, "is a directory, not a database file"));
    }
}

// Returns the journal mode SQLite reports after the request.
std::string set_journal_mode(SQLite::Database& db, const char* mode) {
    SQLite::Statement st(db, fmt::format("PRAGMA journal_mode = {}", mode));
    return st.executeStep() ? st.getColumn(0).getString() : std::string();
}

} // namespace

namespace detail {

std::string describe(const std::filesystem::path& path, std::string_view what) {
    std::string out = path.string();
    out += ": ";
    for (char c : what) {
        out += (c == '\n' || c == '\r') ? ' ' : c;
    }
    return out;
}

} // namespace detail

std::int64_t unix_ms_now() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

Database::Database(const std::filesystem::path& path) : path_(path) {
    const bool memory = is_memory(path_);
    std::error_code ec;
    const bool created = !memory && !fs::exists(path_, ec);
    if (!memory) {
        check_location(path_);
    }
    try {
        db_ = std::make_unique<SQLite::Database>(
            path_.string(), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE, busy_timeout_ms);
    } catch (const SQLite::Exception& e) {
        throw StorageError(detail::describe(path_, fmt::format("cannot open: {}", e.what())));
    }
    if (created) {
        // The database will hold account data; SQLite gives its -wal and -shm files the same
        // mode as the main file.
        fs::permissions(path_, fs::perms::owner_read | fs::perms::owner_write, ec);
        if (ec) {
            util::logger("storage")->warn("{}: cannot restrict permissions: {}", path_.string(),
                                          ec.message());
        }
    }
    // SQLite silently falls back to read-only for a write-protected file; every later write
    // would then fail with a vaguer message.
    if (sqlite3_db_readonly(db_->getHandle(), "main") == 1) {
        throw StorageError(
            detail::describe(path_, "cannot open for writing (check the file's permissions)"));
    }
    call_guarded([&](SQLite::Database& db) {
        // A database from a newer TinyIce is refused before anything is written to it (not
        // even the journal mode), so downgrading by mistake costs nothing.
        const int version = detail::applied_version(db);
        const int latest = latest_schema_version();
        if (version > latest) {
            throw StorageError(detail::describe(
                path_,
                fmt::format("schema version {} is newer than this TinyIce ({})", version, latest)));
        }
        db.exec("PRAGMA foreign_keys = ON");
        if (!memory) {
            const std::string mode = set_journal_mode(db, "WAL");
            if (mode != "wal") {
                // E.g. a file system without shared memory support; still correct, just slower
                // and readers wait for writers.
                util::logger("storage")->warn("{}: WAL journal not available (journal mode {})",
                                              path_.string(), mode);
            }
        }
        db.exec("PRAGMA synchronous = NORMAL");
        try {
            if (detail::apply_migrations(db, detail::schema_migrations()) > 0 && !memory) {
                util::logger("storage")->info("{}: schema migrated from version {} to {}",
                                              path_.string(), version, detail::applied_version(db));
            }
        } catch (const StorageError& e) {
            throw StorageError(detail::describe(path_, e.what()));
        }
    });
}

Database::~Database() = default;

int Database::schema_version() const {
    std::lock_guard lock(mutex_);
    try {
        return detail::applied_version(*db_);
    } catch (const SQLite::Exception& e) {
        throw StorageError(detail::describe(path_, e.what()));
    }
}

int Database::latest_schema_version() {
    return detail::schema_migrations().back().version;
}

void Database::backup_to(const std::filesystem::path& dest) {
    if (dest.empty() || is_memory(dest)) {
        throw StorageError("backup destination must be a file path");
    }
    std::error_code ec;
    if (!is_memory(path_) && fs::equivalent(dest, path_, ec)) {
        throw StorageError(detail::describe(dest, "is the database itself"));
    }
    check_location(dest);
    // Written beside the destination and renamed into place, so `dest` is either the previous
    // file or a complete copy, never half of one.
    fs::path tmp = dest;
    tmp += ".tmp";
    fs::remove(tmp, ec);
    try {
        {
            SQLite::Database out(tmp.string(), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
            std::lock_guard lock(mutex_);
            SQLite::Backup backup(out, *db_);
            backup.executeStep(-1); // all pages in one step: a consistent snapshot
        }
        // The copy inherits WAL mode; make it one self-contained file.
        SQLite::Database copy(tmp.string(), SQLite::OPEN_READWRITE);
        set_journal_mode(copy, "DELETE");
    } catch (const SQLite::Exception& e) {
        fs::remove(tmp, ec);
        throw StorageError(detail::describe(dest, fmt::format("backup failed: {}", e.what())));
    }
    fs::rename(tmp, dest, ec);
    if (ec) {
        const std::string why = ec.message();
        fs::remove(tmp, ec);
        throw StorageError(detail::describe(dest, fmt::format("backup failed: {}", why)));
    }
}

} // namespace tinyice::storage
