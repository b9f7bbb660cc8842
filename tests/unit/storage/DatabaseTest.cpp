#include "storage/Database.hpp"

#include "StorageTestUtil.hpp"
#include "storage/DefinitionStore.hpp"
#include "storage/HistoryStore.hpp"
#include "storage/LibraryStore.hpp"
#include "storage/Migrations.hpp"
#include "storage/Sqlite.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <array>
#include <chrono>
#include <fstream>
#include <string>
#include <unistd.h>

namespace tinyice::storage {
namespace {

using test::TempDir;
using ::testing::HasSubstr;
using ::testing::StartsWith;

std::string error_of(const std::filesystem::path& path) {
    try {
        Database db(path);
    } catch (const StorageError& e) {
        return e.what();
    }
    return "(no error)";
}

TEST(Database, NewFileIsMigratedToTheLatestSchema) {
    TempDir dir;
    Database db(dir.file("tinyice.db"));
    EXPECT_EQ(db.path(), dir.file("tinyice.db"));
    EXPECT_GE(Database::latest_schema_version(), 1);
    EXPECT_EQ(db.schema_version(), Database::latest_schema_version());
    EXPECT_EQ(test::query_int(db, "SELECT COUNT(*) FROM schema_migrations"),
              Database::latest_schema_version());
    EXPECT_EQ(test::query_text(db, "SELECT name FROM schema_migrations WHERE version = 1"),
              "library, history, autodj state, definitions");
    for (const char* table :
         {"library_tracks", "plays", "autodj_state", "stored_playlists", "definitions"}) {
        EXPECT_EQ(test::query_int(db, std::string("SELECT COUNT(*) FROM sqlite_master WHERE "
                                                  "type = 'table' AND name = '") +
                                          table + "'"),
                  1)
            << table;
    }
}

TEST(Database, ReopeningAppliesNothingAgain) {
    TempDir dir;
    std::int64_t applied_at = 0;
    {
        Database db(dir.file("tinyice.db"));
        applied_at =
            test::query_int(db, "SELECT applied_at FROM schema_migrations WHERE version = 1");
        test::exec(db, "UPDATE schema_migrations SET applied_at = 42 WHERE version = 1");
    }
    Database db(dir.file("tinyice.db"));
    EXPECT_GT(applied_at, 0);
    EXPECT_EQ(db.schema_version(), Database::latest_schema_version());
    EXPECT_EQ(test::query_int(db, "SELECT COUNT(*) FROM schema_migrations"),
              Database::latest_schema_version());
    EXPECT_EQ(test::query_int(db, "SELECT applied_at FROM schema_migrations WHERE version = 1"),
              42);
}

TEST(Database, FileDatabaseUsesWalAndTheConfiguredPragmas) {
    TempDir dir;
    Database db(dir.file("tinyice.db"));
    EXPECT_EQ(test::query_text(db, "PRAGMA journal_mode"), "wal");
    EXPECT_EQ(test::query_int(db, "PRAGMA synchronous"), 1); // NORMAL
    EXPECT_EQ(test::query_int(db, "PRAGMA foreign_keys"), 1);
    EXPECT_EQ(test::query_int(db, "PRAGMA busy_timeout"), 5000);
}

TEST(Database, NewFilesAreOnlyForTheOwner) {
    TempDir dir;
    const auto path = dir.file("tinyice.db");
    Database db(path);
    test::exec(db, "INSERT INTO definitions VALUES ('a', 'b', '{}', 0, 0)");
    namespace fs = std::filesystem;
    const auto owner_rw = fs::perms::owner_read | fs::perms::owner_write;
    EXPECT_EQ(fs::status(path).permissions(), owner_rw);
    ASSERT_TRUE(fs::exists(dir.file("tinyice.db-wal")));
    EXPECT_EQ(fs::status(dir.file("tinyice.db-wal")).permissions(), owner_rw);
}

TEST(Database, MemoryDatabaseIsMigratedWithoutWal) {
    Database db(":memory:");
    EXPECT_EQ(db.schema_version(), Database::latest_schema_version());
    EXPECT_EQ(test::query_text(db, "PRAGMA journal_mode"), "memory");
    EXPECT_EQ(test::query_int(db, "PRAGMA foreign_keys"), 1);
}

TEST(Database, NewerSchemaIsRefusedAndTheFileLeftUnchanged) {
    TempDir dir;
    const auto path = dir.file("tinyice.db");
    const int future = Database::latest_schema_version() + 7;
    {
        Database db(path);
        DefinitionStore(db).put("autodj", "main", "{}");
        test::exec(db, "INSERT INTO schema_migrations VALUES (" + std::to_string(future) +
                           ", 'from the future', 0)");
    }
    ASSERT_FALSE(std::filesystem::exists(dir.file("tinyice.db-wal")));
    const std::string before = test::read_bytes(path);

    const std::string error = error_of(path);
    EXPECT_EQ(error, path.string() + ": schema version " + std::to_string(future) +
                         " is newer than this TinyIce (" +
                         std::to_string(Database::latest_schema_version()) + ")");
    EXPECT_EQ(test::read_bytes(path), before);
}

TEST(Database, NewerSchemaKeepsItsJournalMode) {
    TempDir dir;
    const auto path = dir.file("future.db");
    {
        SQLite::Database raw(path.string(), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
        raw.exec(
            "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, "
            "applied_at INTEGER NOT NULL); INSERT INTO schema_migrations VALUES (1000, 'x', 0)");
    }
    const std::string before = test::read_bytes(path);
    EXPECT_THAT(error_of(path), HasSubstr("schema version 1000 is newer"));
    EXPECT_EQ(test::read_bytes(path), before);
    SQLite::Database raw(path.string(), SQLite::OPEN_READONLY);
    EXPECT_EQ(raw.execAndGet("PRAGMA journal_mode").getString(), "delete");
}

TEST(Database, MissingDirectoryIsNamed) {
    TempDir dir;
    const auto path = dir.path() / "missing" / "tinyice.db";
    EXPECT_EQ(error_of(path), path.string() + ": directory " + (dir.path() / "missing").string() +
                                  " does not exist");
    EXPECT_FALSE(std::filesystem::exists(dir.path() / "missing"));
}

TEST(Database, DirectoryInsteadOfFileIsRefused) {
    TempDir dir;
    EXPECT_EQ(error_of(dir.path()), dir.path().string() + ": is a directory, not a database file");
}

TEST(Database, FileThatIsNotADatabaseIsRefusedWithItsPath) {
    TempDir dir;
    const auto path = dir.file("notes.txt");
    std::ofstream(path) << std::string(4096, 'x');
    const std::string error = error_of(path);
    EXPECT_THAT(error, StartsWith(path.string() + ": "));
    EXPECT_THAT(error, HasSubstr("not a database"));
    EXPECT_EQ(error.find('\n'), std::string::npos);
}

TEST(Database, ReadOnlyFileIsRefused) {
    if (geteuid() == 0) {
        GTEST_SKIP() << "root can write any file";
    }
    TempDir dir;
    const auto path = dir.file("tinyice.db");
    { Database db(path); }
    std::filesystem::permissions(path, std::filesystem::perms::owner_read);
    EXPECT_EQ(error_of(path),
              path.string() + ": cannot open for writing (check the file's permissions)");
}

TEST(Database, EmptyPathIsRefused) {
    EXPECT_EQ(error_of(""), "database path is empty");
}

TEST(Database, SqliteErrorsBecomeStorageErrorsNamingTheFile) {
    TempDir dir;
    Database db(dir.file("tinyice.db"));
    try {
        test::exec(db, "SELECT * FROM no_such_table");
        FAIL() << "no exception";
    } catch (const StorageError& e) {
        EXPECT_EQ(std::string(e.what()),
                  dir.file("tinyice.db").string() + ": no such table: no_such_table");
    }
    // The connection is still usable afterwards (the lock was released).
    EXPECT_EQ(test::query_int(db, "SELECT 1"), 1);
}

TEST(Migrations, AreAppliedOnceInOrder) {
    SQLite::Database raw(":memory:", SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    const std::array<detail::Migration, 2> list = {
        detail::Migration{1, "a", "CREATE TABLE a (x INTEGER)"},
        detail::Migration{2, "b", "CREATE TABLE b (y INTEGER); INSERT INTO b VALUES (7)"},
    };
    EXPECT_EQ(detail::applied_version(raw), 0);
    EXPECT_EQ(detail::apply_migrations(raw, std::span(list).first(1)), 1);
    EXPECT_EQ(detail::applied_version(raw), 1);
    EXPECT_EQ(detail::apply_migrations(raw, list), 1);
    EXPECT_EQ(detail::applied_version(raw), 2);
    EXPECT_EQ(detail::apply_migrations(raw, list), 0);
    EXPECT_EQ(raw.execAndGet("SELECT COUNT(*) FROM b").getInt(), 1);
}

TEST(Migrations, AFailedMigrationChangesNothing) {
    SQLite::Database raw(":memory:", SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    const std::array<detail::Migration, 2> broken = {
        detail::Migration{1, "a", "CREATE TABLE a (x INTEGER)"},
        // The second statement fails after the first succeeded.
        detail::Migration{2, "users", "CREATE TABLE users (id INTEGER); CREATE TABLE a (y)"},
    };
    try {
        detail::apply_migrations(raw, broken);
        FAIL() << "no exception";
    } catch (const StorageError& e) {
        EXPECT_EQ(std::string(e.what()), "migration 2 (users) failed: table a already exists");
    }
    EXPECT_EQ(detail::applied_version(raw), 1);
    EXPECT_FALSE(raw.tableExists("users"));
    EXPECT_EQ(raw.execAndGet("SELECT COUNT(*) FROM schema_migrations").getInt(), 1);

    const std::array<detail::Migration, 2> fixed = {
        broken[0], detail::Migration{2, "users", "CREATE TABLE users (id INTEGER)"}};
    EXPECT_EQ(detail::apply_migrations(raw, fixed), 1);
    EXPECT_TRUE(raw.tableExists("users"));
}

TEST(Migrations, SchemaListIsNumberedFromOne) {
    const auto list = detail::schema_migrations();
    ASSERT_FALSE(list.empty());
    for (std::size_t i = 0; i < list.size(); ++i) {
        EXPECT_EQ(list[i].version, static_cast<int>(i) + 1);
        EXPECT_FALSE(list[i].name.empty());
    }
    EXPECT_EQ(Database::latest_schema_version(), list.back().version);
}

TEST(Database, BackupIsACompleteSelfContainedCopy) {
    TempDir dir;
    const auto dest = dir.file("backup.db");
    std::ofstream(dest) << "an older backup"; // replaced, not appended to
    {
        Database db(dir.file("tinyice.db"));
        LibraryStore library(db, "/music");
        library.upsert({TrackRecord{.path = "a.mp3", .title = "A", .mtime = 1, .size = 2},
                        TrackRecord{.path = "b.mp3", .title = "B", .mtime = 3, .size = 4}});
        {
            HistoryStore history(db);
            history.record(PlayRecord{.mount = "/autodj", .started_at = 1000, .title = "A"});
        }
        DefinitionStore(db).put("autodj", "main", R"({"mount":"/autodj"})");
        db.backup_to(dest);
        EXPECT_FALSE(std::filesystem::exists(dir.file("backup.db.tmp")));
        EXPECT_FALSE(std::filesystem::exists(dir.file("backup.db-wal")));
    }
    {
        SQLite::Database raw(dest.string(), SQLite::OPEN_READONLY);
        EXPECT_EQ(raw.execAndGet("PRAGMA journal_mode").getString(), "delete");
    }
    Database copy(dest);
    EXPECT_EQ(copy.schema_version(), Database::latest_schema_version());
    const auto tracks = LibraryStore(copy, "/music").all();
    ASSERT_EQ(tracks.size(), 2U);
    EXPECT_EQ(tracks[1].title, "B");
    HistoryStore history(copy);
    const auto plays = history.recent("/autodj", 10);
    ASSERT_EQ(plays.size(), 1U);
    EXPECT_EQ(plays[0].title, "A");
    EXPECT_TRUE(DefinitionStore(copy).get("autodj", "main").has_value());
}

TEST(Database, BackupOfAMemoryDatabaseWorks) {
    TempDir dir;
    Database db(":memory:");
    DefinitionStore(db).put("transcoder", "low", "{}");
    db.backup_to(dir.file("copy.db"));
    Database copy(dir.file("copy.db"));
    EXPECT_EQ(DefinitionStore(copy).list("transcoder").size(), 1U);
}

TEST(Database, BackupErrorsNameTheDestination) {
    TempDir dir;
    Database db(dir.file("tinyice.db"));
    const auto missing = dir.path() / "nope" / "backup.db";
    try {
        db.backup_to(missing);
        FAIL() << "no exception";
    } catch (const StorageError& e) {
        EXPECT_THAT(e.what(), StartsWith(missing.string() + ": "));
    }
    EXPECT_THROW(db.backup_to(dir.file("tinyice.db")), StorageError);
    EXPECT_EQ(db.schema_version(), Database::latest_schema_version());
}

TEST(Database, UnixMsNowIsTheSystemClockInMilliseconds) {
    const auto before = std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
    const auto now = unix_ms_now();
    const auto after = std::chrono::duration_cast<std::chrono::milliseconds>(
                           std::chrono::system_clock::now().time_since_epoch())
                           .count();
    EXPECT_GE(now, before);
    EXPECT_LE(now, after);
}

} // namespace
} // namespace tinyice::storage
