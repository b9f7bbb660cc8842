#pragma once
// The embedded SQLite database (one file, `tinyice.db` in the data directory by default): WAL
// journal, synchronous=NORMAL, foreign keys on, a 5 s busy timeout, and versioned migrations
// applied at open (Migrations.cpp). Only src/storage includes SQLiteCpp; everybody else talks to
// the stores (LibraryStore, HistoryStore, ...), which take a Database&.
//
// Threads: one connection guarded by one mutex; every store method takes it for the duration
// of its statement(s). Store methods block on disk I/O, so they are called from worker threads
// (AutoDJ stations, the library scanner, the storage pool of the HTTP layer), never from an
// event loop.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <utility>

namespace SQLite {
class Database;
}

namespace tinyice::storage {

// Opening, migrating or using the database failed. what() names the file and the problem,
// e.g. "/var/lib/tinyice/tinyice.db: schema version 9 is newer than this TinyIce (3)".
struct StorageError : std::runtime_error {
    using runtime_error::runtime_error;
};

class Database {
public:
    // Opens (creating if needed) and migrates to the newest schema. ":memory:" gives a private
    // in-memory database (tests). Throws StorageError.
    explicit Database(const std::filesystem::path& path);
    ~Database();
    Database(const Database&) = delete;
    Database& operator=(const Database&) = delete;

    [[nodiscard]] const std::filesystem::path& path() const { return path_; }
    [[nodiscard]] int schema_version() const;
    // The newest schema this build knows.
    [[nodiscard]] static int latest_schema_version();

    // Runs fn(SQLite::Database&) holding the connection lock; SQLite exceptions are rethrown
    // as StorageError. For src/storage only (the type is incomplete elsewhere).
    template <class F>
    auto with(F&& fn) -> decltype(fn(std::declval<SQLite::Database&>())) {
        std::lock_guard lock(mutex_);
        return call_guarded(std::forward<F>(fn));
    }

    // Writes a consistent copy of the whole database to `dest` (SQLite online backup), e.g.
    // for `tinyice backup`. Throws StorageError.
    void backup_to(const std::filesystem::path& dest);

private:
    template <class F>
    auto call_guarded(F&& fn) -> decltype(fn(std::declval<SQLite::Database&>()));

    std::filesystem::path path_;
    std::unique_ptr<SQLite::Database> db_;
    mutable std::mutex mutex_;
};

// Current time in unix milliseconds (the unit of every timestamp column).
std::int64_t unix_ms_now();

} // namespace tinyice::storage
