#include "mpd/SongDatabase.hpp"

#include <gtest/gtest.h>

using tinyice::mpd::SongDatabase;
using tinyice::protocol::mpd::Song;

namespace {

Song song(std::string file, std::int64_t mtime = 0) {
    Song s;
    s.file = std::move(file);
    s.mtime = mtime;
    return s;
}

SongDatabase make() {
    // Names chosen so that byte order interleaves files and folders: ' ', '-' and '.' sort
    // before '/', which must not split a folder's run.
    return SongDatabase({song("a/b/x.mp3", 5), song("a/b.mp3", 1), song("a/b-c/y.mp3", 2),
                         song("a/b c.mp3", 3), song("a/b/z/w.mp3", 9), song("root.mp3", 4),
                         song("", 7), song("a/b.mp3", 99)});
}

TEST(SongDatabase, SortedAndDeduplicated) {
    const auto db = make();
    ASSERT_EQ(db.songs().size(), 6U);
    for (std::size_t i = 1; i < db.songs().size(); ++i) {
        EXPECT_LT(db.songs()[i - 1].file, db.songs()[i].file);
    }
    ASSERT_NE(db.find("a/b.mp3"), nullptr);
    EXPECT_EQ(db.find("a/b.mp3")->mtime, 1); // the first of the duplicates stays
    EXPECT_EQ(db.find("a/b"), nullptr);
    EXPECT_EQ(db.find(""), nullptr);
}

TEST(SongDatabase, UnderIsTheFolderOnly) {
    const auto db = make();
    EXPECT_EQ(db.under("").size(), 6U);
    EXPECT_EQ(db.under("/").size(), 6U);
    const auto b = db.under("a/b");
    ASSERT_EQ(b.size(), 2U);
    EXPECT_EQ(b[0].file, "a/b/x.mp3");
    EXPECT_EQ(b[1].file, "a/b/z/w.mp3");
    EXPECT_EQ(db.under("/a/b/").size(), 2U);
    EXPECT_EQ(db.under("a").size(), 5U);
    EXPECT_TRUE(db.under("a/b-").empty());
    EXPECT_TRUE(db.is_directory("a/b-c"));
    EXPECT_FALSE(db.is_directory("a/b.mp3"));
    EXPECT_FALSE(db.is_directory("nothing"));
    EXPECT_TRUE(db.is_directory(""));
}

TEST(SongDatabase, ListGivesDirectChildrenWithNewestTimes) {
    const auto db = make();
    SongDatabase::Listing l;
    ASSERT_TRUE(db.list("a", l));
    ASSERT_EQ(l.folders.size(), 2U);
    EXPECT_EQ(l.folders[0].path, "a/b-c");
    EXPECT_EQ(l.folders[0].mtime, 2);
    EXPECT_EQ(l.folders[1].path, "a/b");
    EXPECT_EQ(l.folders[1].mtime, 9); // newest song anywhere under it
    ASSERT_EQ(l.songs.size(), 2U);
    EXPECT_EQ(l.songs[0]->file, "a/b c.mp3");
    EXPECT_EQ(l.songs[1]->file, "a/b.mp3");
    ASSERT_TRUE(db.list("", l));
    EXPECT_EQ(l.folders.size(), 1U);
    EXPECT_EQ(l.songs.size(), 1U);
    EXPECT_FALSE(db.list("zzz", l));
    EXPECT_TRUE(l.folders.empty() && l.songs.empty());
}

TEST(SongDatabase, Stats) {
    Song a = song("1.mp3");
    a.artist = "X";
    a.album = "P";
    a.duration = 10;
    Song b = song("2.mp3");
    b.artist = "X";
    b.album = "Q";
    b.duration = 5.5;
    Song c = song("3.mp3");
    const SongDatabase db({a, b, c});
    EXPECT_EQ(db.artists(), 1U);
    EXPECT_EQ(db.albums(), 2U);
    EXPECT_DOUBLE_EQ(db.total_duration(), 15.5);
    const SongDatabase empty;
    EXPECT_EQ(empty.songs().size(), 0U);
    EXPECT_TRUE(empty.under("").empty());
}

} // namespace
