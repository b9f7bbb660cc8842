#pragma once
// A private temporary folder per test and a few raw-SQL helpers shared by the storage tests.

#include "storage/Database.hpp"
#include "storage/Sqlite.hpp"

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <system_error>

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

inline std::string read_bytes(const std::filesystem::path& file) {
    std::ifstream in(file, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
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
