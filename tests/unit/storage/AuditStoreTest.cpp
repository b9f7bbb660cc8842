#include "storage/AuditStore.hpp"

#include "StorageTestUtil.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace tinyice::storage {
namespace {

using test::ConnectionBlocker;
using ::testing::ElementsAre;

AuditRecord entry(std::string category, std::string action, std::int64_t at = 1000) {
    return AuditRecord{.at = at,
                       .username = "admin",
                       .ip = "192.0.2.1",
                       .category = std::move(category),
                       .action = std::move(action)};
}

std::vector<std::string> actions(const std::vector<AuditRecord>& records) {
    std::vector<std::string> out;
    for (const auto& r : records) {
        out.push_back(r.action);
    }
    return out;
}

class AuditStoreTest : public ::testing::Test {
protected:
    Database db_{":memory:"};
};

TEST_F(AuditStoreTest, EveryFieldRoundTrips) {
    AuditStore audit(db_);
    AuditRecord r{.at = 1700000000123,
                  .username = "alice",
                  .ip = "2001:db8::5",
                  .category = "streams",
                  .action = "kick",
                  .target = "/live",
                  .detail = R"({"listener":42,"reason":"abuse"})"};
    audit.record(r);
    audit.flush();
    const auto records = audit.query("", 10);
    ASSERT_EQ(records.size(), 1U);
    EXPECT_GT(records[0].id, 0);
    r.id = records[0].id;
    EXPECT_EQ(records[0], r);
}

TEST_F(AuditStoreTest, TimeDefaultsToNow) {
    AuditStore audit(db_);
    const auto before = unix_ms_now();
    audit.record(entry("auth", "login", 0));
    audit.flush();
    const auto records = audit.query("auth", 1);
    ASSERT_EQ(records.size(), 1U);
    EXPECT_GE(records[0].at, before);
    EXPECT_LE(records[0].at, unix_ms_now());
}

TEST_F(AuditStoreTest, NewestFirstByCategoryWithPaging) {
    AuditStore audit(db_);
    audit.record(entry("auth", "login-1"));
    audit.record(entry("users", "create-1"));
    audit.record(entry("auth", "login-2"));
    audit.record(entry("auth", "login-3"));
    audit.record(entry("users", "delete-1"));
    audit.record(entry("auth", "login-4"));
    audit.flush();

    EXPECT_THAT(actions(audit.query("users", 10)), ElementsAre("delete-1", "create-1"));
    EXPECT_TRUE(audit.query("settings", 10).empty());
    EXPECT_EQ(audit.query("", 10).size(), 6U);

    const auto page1 = audit.query("auth", 2);
    EXPECT_THAT(actions(page1), ElementsAre("login-4", "login-3"));
    const auto page2 = audit.query("auth", 2, page1.back().id);
    EXPECT_THAT(actions(page2), ElementsAre("login-2", "login-1"));
    EXPECT_TRUE(audit.query("auth", 2, page2.back().id).empty());

    const auto all1 = audit.query("", 4);
    EXPECT_THAT(actions(all1), ElementsAre("login-4", "delete-1", "login-3", "login-2"));
    EXPECT_THAT(actions(audit.query("", 4, all1.back().id)), ElementsAre("create-1", "login-1"));
}

TEST_F(AuditStoreTest, LimitIsCappedAt500) {
    AuditStore audit(db_);
    for (int i = 0; i < 600; ++i) {
        audit.record(entry("auth", std::to_string(i)));
    }
    audit.flush();
    const auto records = audit.query("auth", 10000);
    ASSERT_EQ(records.size(), AuditStore::max_query);
    EXPECT_EQ(records.front().action, "599");
    EXPECT_EQ(records.back().action, "100");
    EXPECT_TRUE(audit.query("auth", 0).empty());
}

TEST_F(AuditStoreTest, PruneDeletesOnlyOlderRecords) {
    AuditStore audit(db_);
    for (int i = 1; i <= 5; ++i) {
        audit.record(entry("auth", std::to_string(i), i * 100));
    }
    audit.flush();
    EXPECT_EQ(audit.prune(300), 2U);
    EXPECT_THAT(actions(audit.query("", 10)), ElementsAre("5", "4", "3"));
    EXPECT_EQ(audit.prune(300), 0U);

    // Ids keep growing after everything is pruned, so an old page marker stays valid.
    const auto last_id = audit.query("", 1).at(0).id;
    EXPECT_EQ(audit.prune(1'000'000), 3U);
    audit.record(entry("auth", "after"));
    audit.flush();
    EXPECT_GT(audit.query("", 1).at(0).id, last_id);
}

TEST_F(AuditStoreTest, OversizedFieldsAreClippedAndDetailStaysJson) {
    AuditStore audit(db_);
    AuditRecord r = entry("auth", "login_failed");
    r.username = std::string(1000, 'u'); // the name someone tried
    r.target = std::string(255, 't') + "ü";
    r.detail = R"({"user_agent":")" + std::string(10000, 'x') + R"("})";
    const auto detail_size = r.detail.size();
    audit.record(r);
    audit.flush();
    const auto stored = audit.query("auth", 1).at(0);
    EXPECT_EQ(stored.username, std::string(AuditStore::max_username_bytes, 'u'));
    EXPECT_EQ(stored.target, std::string(255, 't')); // not half of the "ü"
    EXPECT_EQ(stored.detail, R"({"truncated":true,"bytes":)" + std::to_string(detail_size) + "}");
}

TEST_F(AuditStoreTest, AFullQueueDropsAndCounts) {
    AuditStore audit(db_, 3);
    {
        ConnectionBlocker blocker(db_);
        for (int i = 1; i <= 8; ++i) {
            audit.record(entry("auth", std::to_string(i)));
        }
        EXPECT_EQ(audit.dropped(), 5U);
    }
    audit.flush();
    EXPECT_THAT(actions(audit.query("", 10)), ElementsAre("3", "2", "1"));
    audit.record(entry("auth", "9"));
    audit.flush();
    EXPECT_EQ(audit.query("", 10).size(), 4U);
    EXPECT_EQ(audit.dropped(), 5U);
}

TEST_F(AuditStoreTest, AFailedWriteIsCountedAndTheWriterCarriesOn) {
    AuditStore audit(db_);
    test::exec(db_, "CREATE TEMP TRIGGER refuse BEFORE INSERT ON audit_log "
                    "BEGIN SELECT RAISE(ABORT, 'disk on fire'); END");
    audit.record(entry("auth", "lost-1"));
    audit.record(entry("auth", "lost-2"));
    audit.flush();
    EXPECT_EQ(audit.dropped(), 2U);
    EXPECT_TRUE(audit.query("", 10).empty());

    test::exec(db_, "DROP TRIGGER refuse");
    audit.record(entry("auth", "kept"));
    audit.flush();
    EXPECT_THAT(actions(audit.query("", 10)), ElementsAre("kept"));
    EXPECT_EQ(audit.dropped(), 2U);
}

TEST(AuditStoreFile, TheDestructorWritesWhatIsQueued) {
    test::TempDir dir;
    {
        Database db(dir.file("tinyice.db"));
        AuditStore audit(db);
        for (int i = 1; i <= 200; ++i) {
            audit.record(entry("settings", std::to_string(i)));
        }
    }
    Database db(dir.file("tinyice.db"));
    AuditStore audit(db);
    const auto records = audit.query("settings", 500);
    ASSERT_EQ(records.size(), 200U);
    EXPECT_EQ(records.front().action, "200");
}

} // namespace
} // namespace tinyice::storage
