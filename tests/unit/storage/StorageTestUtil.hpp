#pragma once
// A private temporary folder per test, a connection blocker and a few raw-SQL helpers shared by
// the storage tests.

#include "storage/Database.hpp"
#include "storage/Sqlite.hpp"

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <future>
#include <iterator>
#include <stdexcept>
#include <string>
#include <system_error>
#include <thread>
#include <utility>

namespace tinyice::storage::test {

class TempDir {
public:
    TempDir() {
        std::string pattern =
            (std::filesystem::temp_directory_path() / "tinyice-storage-test-XXXXXX").string();
        if (mkdtemp(pattern.data()) == nullptr) {
            throw std::runtime_error("mkdtemp failed");
        }
        path_ = pattern;
    }
    ~TempDir() {
        std::error_code ec;
        std::filesystem::remove_all(path_, ec);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;

    [[nodiscard]] const std::filesystem::path& path() const { return path_; }
    [[nodiscard]] std::filesystem::path file(const std::string& name) const { return path_ / name; }

private:
    std::filesystem::path path_;
};

// Holds the database connection lock from another thread until released, so a background writer
// cannot finish a batch; the constructor returns once the lock is really held.
class ConnectionBlocker {
public:
    explicit ConnectionBlocker(Database& db) {
        std::promise<void> held;
        auto held_future = held.get_future();
        thread_ = std::thread([this, &db, held = std::move(held)]() mutable {
            db.with([&](SQLite::Database& /*raw*/) {
                held.set_value();
                release_.get_future().wait();
            });
        });
        held_future.wait();
    }
    ~ConnectionBlocker() { release(); }
    ConnectionBlocker(const ConnectionBlocker&) = delete;
    ConnectionBlocker& operator=(const ConnectionBlocker&) = delete;
    void release() {
        if (thread_.joinable()) {
            release_.set_value();
            thread_.join();
        }
    }

private:
    std::promise<void> release_;
    std::thread thread_;
};

inline std::string read_bytes(const std::filesystem::path& file) {
    std::ifstream in(file, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// The message of the StorageError that fn throws, or "(no error)".
inline std::string error_of(const std::function<void()>& fn) {
    try {
        fn();
    } catch (const StorageError& e) {
        return e.what();
    }
    return "(no error)";
}

inline std::int64_t query_int(Database& db, const std::string& sql) {
    return db.with([&](SQLite::Database& d) { return d.execAndGet(sql).getInt64(); });
}

inline std::string query_text(Database& db, const std::string& sql) {
    return db.with([&](SQLite::Database& d) { return d.execAndGet(sql).getString(); });
}

inline void exec(Database& db, const std::string& sql) {
    db.with([&](SQLite::Database& d) { d.exec(sql); });
}

} // namespace tinyice::storage::test
