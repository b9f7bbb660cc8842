// Schema version 2 (accounts, security, listener statistics): the upgrade of a version 1
// database, constraints the schema itself enforces, and the query plans of every v2 store.

#include "StorageTestUtil.hpp"
#include "storage/AuditStore.hpp"
#include "storage/DefinitionStore.hpp"
#include "storage/HistoryStore.hpp"
#include "storage/IpRuleStore.hpp"
#include "storage/LibraryStore.hpp"
#include "storage/ListenerStatsStore.hpp"
#include "storage/Migrations.hpp"
#include "storage/SessionStore.hpp"
#include "storage/TokenStore.hpp"
#include "storage/UserStore.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <mutex>
#include <set>
#include <sqlite3.h>
#include <string>
#include <vector>

namespace tinyice::storage {
namespace {

using ::testing::HasSubstr;

const std::vector<std::string> v2_tables = {"users",           "sessions", "api_tokens",
                                            "audit_log",       "ip_rules", "listener_sessions",
                                            "listener_minutes"};

bool table_exists(Database& db, const std::string& name) {
    return test::query_int(db, "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND "
                               "name = '" +
                                   name + "'") == 1;
}

TEST(SchemaV2, NewDatabasesHaveEveryTable) {
    Database db(":memory:");
    EXPECT_EQ(db.schema_version(), 2);
    EXPECT_EQ(Database::latest_schema_version(), 2);
    for (const auto& table : v2_tables) {
        EXPECT_TRUE(table_exists(db, table)) << table;
    }
    EXPECT_EQ(test::query_text(db, "SELECT name FROM schema_migrations WHERE version = 2"),
              "users, sessions, api tokens, audit log, ip rules, listener statistics");
}

TEST(SchemaV2, AVersion1DatabaseIsUpgradedKeepingItsData) {
    test::TempDir dir;
    const auto path = dir.file("tinyice.db");
    {
        // What TinyIce 0.1 left behind: only the first migration, in WAL mode, with data.
        SQLite::Database raw(path.string(), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
        raw.exec("PRAGMA journal_mode = WAL");
        ASSERT_EQ(detail::apply_migrations(raw, detail::schema_migrations().first(1)), 1);
        raw.exec("INSERT INTO plays (mount, started_at, title, source) "
                 "VALUES ('/autodj', 1000, 'Old song', 'autodj')");
        raw.exec("INSERT INTO definitions VALUES ('autodj', 'main', '{\"mount\":\"/autodj\"}', "
                 "1, 2)");
        raw.exec("INSERT INTO library_tracks (root, path, title, added_at) "
                 "VALUES ('/music', 'a.mp3', 'A', 5)");
        ASSERT_EQ(detail::applied_version(raw), 1);
        ASSERT_FALSE(raw.tableExists("users"));
    }

    Database db(path);
    EXPECT_EQ(db.schema_version(), 2);
    EXPECT_EQ(test::query_int(db, "SELECT COUNT(*) FROM schema_migrations"), 2);
    for (const auto& table : v2_tables) {
        EXPECT_TRUE(table_exists(db, table)) << table;
    }
    // v1 data is untouched.
    HistoryStore history(db);
    const auto plays = history.recent("/autodj", 10);
    ASSERT_EQ(plays.size(), 1U);
    EXPECT_EQ(plays[0].title, "Old song");
    const auto def = DefinitionStore(db).get("autodj", "main");
    ASSERT_TRUE(def.has_value());
    EXPECT_EQ(def->json, R"({"mount":"/autodj"})");
    EXPECT_EQ(def->created_at, 1);
    EXPECT_EQ(LibraryStore(db, "/music").all().at(0).title, "A");
    // And the v2 stores work on it.
    UserStore users(db);
    ASSERT_TRUE(users.create(UserRecord{.username = "admin", .password_hash = "$y$x", .role = "dj"})
                    .has_value());
    EXPECT_EQ(users.count(), 1U);
}

TEST(SchemaV2, ReopeningAVersion2DatabaseAppliesNothing) {
    test::TempDir dir;
    {
        Database db(dir.file("tinyice.db"));
        UserStore(db).create(
            UserRecord{.username = "admin", .password_hash = "$y$x", .role = "superadmin"});
    }
    Database db(dir.file("tinyice.db"));
    EXPECT_EQ(test::query_int(db, "SELECT COUNT(*) FROM schema_migrations"), 2);
    EXPECT_EQ(UserStore(db).count(), 1U);
}

TEST(SchemaV2, UsernamesAreUniqueInTheSchemaItself) {
    Database db(":memory:");
    test::exec(db, "INSERT INTO users (username, password_hash, role, created_at, updated_at) "
                   "VALUES ('admin', 'h', 'admin', 0, 0)");
    try {
        test::exec(db, "INSERT INTO users (username, password_hash, role, created_at, "
                       "updated_at) VALUES ('ADMIN', 'h', 'admin', 0, 0)");
        FAIL() << "no exception";
    } catch (const StorageError& e) {
        EXPECT_THAT(e.what(), HasSubstr("UNIQUE constraint failed: users.username"));
    }
    EXPECT_THROW(test::exec(db, "INSERT INTO api_tokens (username, name, token_hash, "
                                "created_at) VALUES ('a', 'x', 'h', 0), ('b', 'y', 'h', 0)"),
                 StorageError);
}

// Records the SQL of every statement the connection runs.
class StatementRecorder {
public:
    explicit StatementRecorder(Database& db) : db_(db) {
        db_.with([&](SQLite::Database& raw) {
            sqlite3_trace_v2(raw.getHandle(), SQLITE_TRACE_STMT, &StatementRecorder::on_statement,
                             this);
        });
    }
    ~StatementRecorder() {
        db_.with(
            [&](SQLite::Database& raw) { sqlite3_trace_v2(raw.getHandle(), 0, nullptr, nullptr); });
    }
    StatementRecorder(const StatementRecorder&) = delete;
    StatementRecorder& operator=(const StatementRecorder&) = delete;

    std::set<std::string> statements() const {
        std::lock_guard lock(mutex_);
        return statements_;
    }

private:
    static int on_statement(unsigned /*type*/, void* context, void* statement, void* /*sql*/) {
        auto* self = static_cast<StatementRecorder*>(context);
        const char* sql = sqlite3_sql(static_cast<sqlite3_stmt*>(statement));
        if (sql != nullptr) {
            std::lock_guard lock(self->mutex_);
            self->statements_.insert(sql);
        }
        return 0;
    }

    Database& db_;
    mutable std::mutex mutex_;
    std::set<std::string> statements_;
};

// Every method of every v2 store, so that each of their statements runs at least once.
void exercise_every_store(Database& db) {
    UserStore users(db);
    const auto id =
        users.create(UserRecord{.username = "bob", .password_hash = "$y$x", .role = "dj"}).value();
    (void)users.list();
    (void)users.find("BOB");
    (void)users.get(id);
    UserRecord renamed = *users.get(id);
    renamed.username = "robert";
    users.update(renamed);
    users.set_password(id, "$y$y");
    users.touch_login(id, 5);
    (void)users.count();

    SessionStore sessions(db);
    sessions.create(SessionRecord{
        .token_hash = "s", .username = "robert", .csrf = "c", .created_at = 1, .expires_at = 9});
    (void)sessions.find("s");
    sessions.touch("s", 2);
    (void)sessions.list("robert");
    (void)sessions.list("");
    sessions.prune(3, 1);
    sessions.prune(3, 0);
    sessions.remove("s");
    sessions.remove_user("robert");

    TokenStore tokens(db);
    const auto token =
        tokens.create(TokenRecord{.username = "robert", .name = "n", .token_hash = "t"});
    (void)tokens.find_by_hash("t");
    (void)tokens.list("robert");
    (void)tokens.list("");
    tokens.touch(token, 5, "ip");
    tokens.revoke(token, 6);
    tokens.revoke_user("robert", 7);
    users.remove(id);

    {
        AuditStore audit(db);
        audit.record(AuditRecord{.category = "auth", .action = "login"});
        audit.flush();
        (void)audit.query("", 10);
        (void)audit.query("auth", 10);
        (void)audit.query("", 10, 5);
        (void)audit.query("auth", 10, 5);
        audit.prune(1);
    }

    IpRuleStore rules(db);
    const auto rule = rules.add(IpRule{.kind = "ban", .network = "::1", .source = "manual"});
    (void)rules.list();
    rules.remove_expired(10);
    rules.remove(rule);

    ListenerStatsStore stats(db);
    stats.record_session(ListenerSessionRecord{.mount = "/a", .started_at = 1, .ended_at = 2});
    stats.record_minute("/a", 1, 3);
    stats.flush();
    (void)stats.series("/a", 0, 600000, 60000);
    (void)stats.series("", 0, 600000, 60000);
    (void)stats.top_user_agents(0, 10, 5);
    (void)stats.summary("/a", 0, 10);
    (void)stats.summary("", 0, 10);
    (void)stats.mounts(0, 10);
    stats.prune(1);
}

// A statement that filters rows must find them through an index; reading a whole table is only
// right for a statement that wants all of it (list(), count()).
TEST(SchemaV2, EveryFilteringQueryUsesAnIndex) {
    Database db(":memory:");
    std::set<std::string> statements;
    {
        StatementRecorder recorder(db);
        exercise_every_store(db);
        statements = recorder.statements();
    }
    ASSERT_GT(statements.size(), 40U);
    for (const std::string& sql : statements) {
        const bool filters = sql.find("WHERE") != std::string::npos;
        std::vector<std::string> plan;
        db.with([&](SQLite::Database& raw) {
            SQLite::Statement st(raw, "EXPLAIN QUERY PLAN " + sql);
            while (st.executeStep()) {
                plan.push_back(st.getColumn(3).getString());
            }
        });
        std::string shown;
        for (const auto& step : plan) {
            shown += "\n  " + step;
        }
        for (const auto& step : plan) {
            // "SCAN t" reads every row of t; "SCAN t USING [COVERING] INDEX i" every entry of i.
            // Scans of the CTEs of mounts() walk a handful of rows they built themselves.
            const bool scan = step.rfind("SCAN ", 0) == 0;
            const bool own_rows =
                step.find("_mounts") != std::string::npos || step == "SCAN CONSTANT ROW";
            if (scan && !own_rows) {
                EXPECT_FALSE(filters) << sql << shown;
            }
        }
    }
}

} // namespace
} // namespace tinyice::storage
