#include "storage/AutoDjStore.hpp"

#include "StorageTestUtil.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace tinyice::storage {
namespace {

using ::testing::HasSubstr;

class AutoDjStoreTest : public ::testing::Test {
protected:
    Database db_{":memory:"};
    AutoDjStore store_{db_};
};

TEST_F(AutoDjStoreTest, StateRoundTripsAndIsReplaced) {
    EXPECT_FALSE(store_.load_state("main").has_value());
    store_.save_state("main", R"({"playlist":["a.mp3"],"position":0})");
    store_.save_state("other", "{}");
    EXPECT_EQ(store_.load_state("main"), R"({"playlist":["a.mp3"],"position":0})");
    store_.save_state("main", R"({"playlist":[]})");
    EXPECT_EQ(store_.load_state("main"), R"({"playlist":[]})");
    EXPECT_EQ(store_.load_state("other"), "{}");
    EXPECT_EQ(test::query_int(db_, "SELECT COUNT(*) FROM autodj_state"), 2);
}

TEST_F(AutoDjStoreTest, PlaylistPathsRoundTripWhateverTheyHold) {
    const std::vector<std::string> paths = {
        "Björk/Homogenic/01 Hunter.flac",
        "日本語/曲.mp3",
        "quotes/\"double\" and 'single'.mp3",
        "new\nline/and\ttab\r.mp3",
        "back\\slash/[brackets] {braces}, commas.ogg",
        std::string("latin1/caf\xe9.mp3"), // not UTF-8: Linux file names are bytes
        "emoji/🎵.opus",
        "",
    };
    store_.save_playlist("main", "weird", paths);
    const auto loaded = store_.load_playlist("main", "weird");
    ASSERT_TRUE(loaded.has_value());
    EXPECT_EQ(*loaded, paths);
}

TEST_F(AutoDjStoreTest, EmptyAndMissingPlaylistsDiffer) {
    store_.save_playlist("main", "empty", {});
    const auto empty = store_.load_playlist("main", "empty");
    ASSERT_TRUE(empty.has_value());
    EXPECT_TRUE(empty->empty());
    EXPECT_FALSE(store_.load_playlist("main", "missing").has_value());
    EXPECT_FALSE(store_.load_playlist("other", "empty").has_value());
}

TEST_F(AutoDjStoreTest, ListingIsSortedByNameWithEntryCounts) {
    const auto before = unix_ms_now();
    store_.save_playlist("main", "rock", {"a.mp3", "b.mp3", "c.mp3"});
    store_.save_playlist("main", "Jazz", {"j.mp3"});
    store_.save_playlist("main", "ambient", {});
    store_.save_playlist("other", "rock", {"x.mp3"});
    const auto list = store_.list_playlists("main");
    ASSERT_EQ(list.size(), 3U);
    EXPECT_EQ(list[0].name, "Jazz");
    EXPECT_EQ(list[0].entries, 1U);
    EXPECT_EQ(list[1].name, "ambient");
    EXPECT_EQ(list[1].entries, 0U);
    EXPECT_EQ(list[2].name, "rock");
    EXPECT_EQ(list[2].entries, 3U);
    EXPECT_GE(list[2].updated_at, before);
    EXPECT_LE(list[2].updated_at, unix_ms_now());
    EXPECT_TRUE(store_.list_playlists("nobody").empty());
}

TEST_F(AutoDjStoreTest, SavingReplacesAndRemoveReportsWhetherItExisted) {
    store_.save_playlist("main", "p", {"a.mp3", "b.mp3"});
    store_.save_playlist("main", "p", {"c.mp3"});
    EXPECT_EQ(store_.load_playlist("main", "p"), std::vector<std::string>{"c.mp3"});
    EXPECT_EQ(store_.list_playlists("main").at(0).entries, 1U);
    EXPECT_FALSE(store_.remove_playlist("other", "p"));
    EXPECT_TRUE(store_.remove_playlist("main", "p"));
    EXPECT_FALSE(store_.remove_playlist("main", "p"));
    EXPECT_TRUE(store_.list_playlists("main").empty());
}

TEST_F(AutoDjStoreTest, DeletingAStationRemovesItsStateAndPlaylistsOnly) {
    store_.save_state("main", "{}");
    store_.save_playlist("main", "a", {"1.mp3"});
    store_.save_playlist("main", "b", {"2.mp3"});
    store_.save_state("other", "{\"x\":1}");
    store_.save_playlist("other", "a", {"3.mp3"});

    store_.delete_state("main");
    EXPECT_FALSE(store_.load_state("main").has_value());
    EXPECT_TRUE(store_.list_playlists("main").empty());
    EXPECT_EQ(store_.load_state("other"), "{\"x\":1}");
    EXPECT_EQ(store_.load_playlist("other", "a"), std::vector<std::string>{"3.mp3"});
    store_.delete_state("never-existed"); // no error
}

TEST_F(AutoDjStoreTest, ACorruptPlaylistIsAStorageErrorNamingIt) {
    test::exec(db_, "INSERT INTO stored_playlists VALUES ('main', 'bad', '[\"a.mp3\", 7]', 2, 0)");
    test::exec(db_, "INSERT INTO stored_playlists VALUES ('main', 'worse', 'not json', 1, 0)");
    try {
        (void)store_.load_playlist("main", "bad");
        FAIL() << "no exception";
    } catch (const StorageError& e) {
        EXPECT_EQ(std::string(e.what()),
                  ":memory:: stored playlist \"bad\" of station \"main\" is corrupt");
    }
    EXPECT_THROW((void)store_.load_playlist("main", "worse"), StorageError);
    EXPECT_EQ(store_.list_playlists("main").size(), 2U);
}

} // namespace
} // namespace tinyice::storage
