#include "storage/DefinitionStore.hpp"

#include "StorageTestUtil.hpp"

#include <gtest/gtest.h>

#include <string>

namespace tinyice::storage {
namespace {

class DefinitionStoreTest : public ::testing::Test {
protected:
    Database db_{":memory:"};
    DefinitionStore store_{db_};
};

TEST_F(DefinitionStoreTest, PutGetAndListByKind) {
    const auto before = unix_ms_now();
    store_.put("autodj", "rock", R"({"mount":"/rock"})");
    store_.put("autodj", "jazz", R"({"mount":"/jazz"})");
    store_.put("transcoder", "rock", R"({"bitrate":64})");

    const auto rock = store_.get("autodj", "rock");
    ASSERT_TRUE(rock.has_value());
    EXPECT_EQ(rock->kind, "autodj");
    EXPECT_EQ(rock->name, "rock");
    EXPECT_EQ(rock->json, R"({"mount":"/rock"})");
    EXPECT_GE(rock->created_at, before);
    EXPECT_EQ(rock->updated_at, rock->created_at);
    EXPECT_FALSE(store_.get("autodj", "pop").has_value());
    EXPECT_FALSE(store_.get("relay", "rock").has_value());

    const auto autodj = store_.list("autodj");
    ASSERT_EQ(autodj.size(), 2U);
    EXPECT_EQ(autodj[0].name, "jazz");
    EXPECT_EQ(autodj[1].name, "rock");
    ASSERT_EQ(store_.list("transcoder").size(), 1U);
    EXPECT_EQ(store_.list("transcoder")[0].json, R"({"bitrate":64})");
    EXPECT_TRUE(store_.list("relay").empty());
}

TEST_F(DefinitionStoreTest, ReplacingKeepsCreatedAt) {
    store_.put("autodj", "main", R"({"v":1})");
    test::exec(db_, "UPDATE definitions SET created_at = 1000, updated_at = 1000");
    store_.put("autodj", "main", R"({"v":2})");
    const auto def = store_.get("autodj", "main");
    ASSERT_TRUE(def.has_value());
    EXPECT_EQ(def->json, R"({"v":2})");
    EXPECT_EQ(def->created_at, 1000);
    EXPECT_GT(def->updated_at, 1000);
    EXPECT_EQ(store_.list("autodj").size(), 1U);
}

TEST_F(DefinitionStoreTest, RemoveReportsWhetherItExisted) {
    store_.put("autodj", "main", "{}");
    store_.put("transcoder", "main", "{}");
    EXPECT_FALSE(store_.remove("autodj", "other"));
    EXPECT_TRUE(store_.remove("autodj", "main"));
    EXPECT_FALSE(store_.remove("autodj", "main"));
    EXPECT_FALSE(store_.get("autodj", "main").has_value());
    EXPECT_TRUE(store_.get("transcoder", "main").has_value());
}

TEST(DefinitionStoreFile, DefinitionsSurviveARestart) {
    test::TempDir dir;
    {
        Database db(dir.file("tinyice.db"));
        DefinitionStore(db).put("autodj", "main", R"({"name":"Ünïcode \"quoted\""})");
    }
    Database db(dir.file("tinyice.db"));
    EXPECT_EQ(DefinitionStore(db).get("autodj", "main")->json, R"({"name":"Ünïcode \"quoted\""})");
}

} // namespace
} // namespace tinyice::storage
