#include "storage/LibraryStore.hpp"

#include "StorageTestUtil.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

namespace tinyice::storage {
namespace {

using ::testing::ElementsAre;
using ::testing::UnorderedElementsAre;

TrackRecord track(std::string path, std::int64_t mtime = 100, std::int64_t size = 1000) {
    TrackRecord t;
    t.path = std::move(path);
    t.artist = "Artist";
    t.title = "Title of " + t.path;
    t.album = "Album";
    t.duration = 180.5;
    t.mtime = mtime;
    t.size = size;
    return t;
}

std::vector<std::string> paths_of(const std::vector<TrackRecord>& tracks) {
    std::vector<std::string> out;
    for (const auto& t : tracks) {
        out.push_back(t.path);
    }
    return out;
}

class LibraryStoreTest : public ::testing::Test {
protected:
    Database db_{":memory:"};
    LibraryStore store_{db_, "/srv/music"};
};

TEST_F(LibraryStoreTest, EveryFieldRoundTrips) {
    TrackRecord t;
    t.path = "Jazz/Miles Davis/So What \"live\".flac";
    t.artist = "Miles Davis";
    t.title = "So What";
    t.album = "Kind of Blue";
    t.genre = "Jazz";
    t.date = "1959";
    t.track_no = "1/5";
    t.duration = 545.25;
    t.mtime = 1700000000;
    t.size = 123456789;
    t.rg_track_gain_db = -6.5;
    t.rg_track_peak = 0.98;
    t.loudness_lufs = -17.25;
    t.loudness_peak = 0.75;
    t.added_at = 1600000000000;
    store_.upsert({t});
    const auto found = store_.find(t.path);
    ASSERT_TRUE(found.has_value());
    EXPECT_EQ(*found, t);
    EXPECT_EQ(store_.root(), "/srv/music");
    EXPECT_FALSE(store_.find("Jazz").has_value());
}

TEST_F(LibraryStoreTest, NewRowsWithoutAddedAtGetTheCurrentTime) {
    const auto before = unix_ms_now();
    store_.upsert({track("a.mp3")});
    const auto added = store_.find("a.mp3")->added_at;
    EXPECT_GE(added, before);
    EXPECT_LE(added, unix_ms_now());
}

TEST_F(LibraryStoreTest, AllIsOrderedByPathBytes) {
    store_.upsert(
        {track("b.mp3"), track("a/z.mp3"), track("B.mp3"), track("é.mp3"), track("a.mp3")});
    EXPECT_THAT(paths_of(store_.all()), ElementsAre("B.mp3", "a.mp3", "a/z.mp3", "b.mp3", "é.mp3"));
}

TEST_F(LibraryStoreTest, ReplacingKeepsAddedAtAndLoudnessWhenTheFileIsUnchanged) {
    auto t = track("a.mp3");
    t.added_at = 1000;
    store_.upsert({t});
    store_.set_loudness("a.mp3", -14.5, 0.9);

    t.title = "Retagged";
    t.added_at = 5000; // ignored for an existing row
    t.rg_track_gain_db = -3.0;
    store_.upsert({t});
    const auto found = store_.find("a.mp3");
    ASSERT_TRUE(found.has_value());
    EXPECT_EQ(found->title, "Retagged");
    EXPECT_EQ(found->added_at, 1000);
    EXPECT_EQ(found->rg_track_gain_db, -3.0);
    EXPECT_EQ(found->loudness_lufs, -14.5);
    EXPECT_EQ(found->loudness_peak, 0.9);
}

TEST_F(LibraryStoreTest, ReplacingDropsLoudnessWhenMtimeOrSizeChanged) {
    store_.upsert({track("m.mp3", 100, 1000), track("s.mp3", 100, 1000)});
    store_.set_loudness("m.mp3", -14.0, 0.5);
    store_.set_loudness("s.mp3", -15.0, 0.6);
    const auto added_m = store_.find("m.mp3")->added_at;

    // The caller passes the old measurement back (e.g. a record copied from find()); a changed
    // file makes it stale all the same.
    auto m = track("m.mp3", 200, 1000);
    m.loudness_lufs = -14.0;
    m.loudness_peak = 0.5;
    store_.upsert({m, track("s.mp3", 100, 2000)});

    const auto fm = store_.find("m.mp3");
    const auto fs = store_.find("s.mp3");
    ASSERT_TRUE(fm && fs);
    EXPECT_EQ(fm->mtime, 200);
    EXPECT_EQ(fm->added_at, added_m);
    EXPECT_FALSE(fm->loudness_lufs.has_value());
    EXPECT_FALSE(fm->loudness_peak.has_value());
    EXPECT_EQ(fs->size, 2000);
    EXPECT_FALSE(fs->loudness_lufs.has_value());
    EXPECT_FALSE(fs->loudness_peak.has_value());
    EXPECT_THAT(store_.needing_analysis(10), ElementsAre("m.mp3", "s.mp3"));
}

TEST_F(LibraryStoreTest, AMeasurementInTheRecordReplacesTheStoredOne) {
    store_.upsert({track("a.mp3")});
    store_.set_loudness("a.mp3", -20.0, 0.4);
    auto t = track("a.mp3");
    t.loudness_lufs = -12.0;
    t.loudness_peak = 1.0;
    store_.upsert({t});
    EXPECT_EQ(store_.find("a.mp3")->loudness_lufs, -12.0);
    EXPECT_EQ(store_.find("a.mp3")->loudness_peak, 1.0);
}

TEST_F(LibraryStoreTest, RemoveCountsOnlyExistingRows) {
    store_.upsert({track("a.mp3"), track("b.mp3"), track("c.mp3")});
    EXPECT_EQ(store_.remove({"a.mp3", "missing.mp3", "c.mp3"}), 2U);
    EXPECT_EQ(store_.remove({}), 0U);
    EXPECT_THAT(paths_of(store_.all()), ElementsAre("b.mp3"));
}

TEST_F(LibraryStoreTest, StampsCoverReadableAndUnreadableFiles) {
    auto broken = track("broken.mp3", 7, 8);
    broken.error = "no audio stream";
    store_.upsert({track("a.mp3", 1, 2), broken});
    const auto stamps = store_.stamps();
    ASSERT_EQ(stamps.size(), 2U);
    EXPECT_EQ(stamps.at("a.mp3").mtime, 1);
    EXPECT_EQ(stamps.at("a.mp3").size, 2);
    EXPECT_EQ(stamps.at("broken.mp3").mtime, 7);
    EXPECT_EQ(stamps.at("broken.mp3").size, 8);
}

TEST_F(LibraryStoreTest, NeedingAnalysisSkipsUnreadableReplayGainAndMeasuredTracks) {
    auto broken = track("broken.mp3");
    broken.error = "no audio stream";
    auto tagged = track("tagged.mp3");
    tagged.rg_track_gain_db = -4.0;
    auto peak_only = track("peak_only.mp3"); // a peak without a gain is no gain
    peak_only.rg_track_peak = 0.9;
    store_.upsert({track("d.mp3"), broken, tagged, track("c.mp3"), track("measured.mp3"), peak_only,
                   track("a.mp3")});
    store_.set_loudness("measured.mp3", -16.0, 0.8);

    EXPECT_THAT(store_.needing_analysis(100),
                ElementsAre("a.mp3", "c.mp3", "d.mp3", "peak_only.mp3"));
    EXPECT_THAT(store_.needing_analysis(2), ElementsAre("a.mp3", "c.mp3"));
    EXPECT_TRUE(store_.needing_analysis(0).empty());
    store_.set_loudness("a.mp3", -18.0, 0.7);
    EXPECT_THAT(store_.needing_analysis(2), ElementsAre("c.mp3", "d.mp3"));
}

TEST_F(LibraryStoreTest, SilenceIsAMeasurementButNanIsRefused) {
    store_.upsert({track("silence.wav")});
    store_.set_loudness("silence.wav", -std::numeric_limits<double>::infinity(), 0.0);
    EXPECT_TRUE(store_.needing_analysis(10).empty());
    EXPECT_TRUE(std::isinf(*store_.find("silence.wav")->loudness_lufs));

    store_.upsert({track("x.mp3")});
    EXPECT_THROW(store_.set_loudness("x.mp3", std::nan(""), 0.5), StorageError);
    EXPECT_THAT(store_.needing_analysis(10), ElementsAre("x.mp3"));
}

TEST_F(LibraryStoreTest, NonFiniteDurationIsStoredAsUnknown) {
    auto t = track("a.mp3");
    t.duration = std::nan("");
    store_.upsert({t});
    EXPECT_EQ(store_.find("a.mp3")->duration, 0.0);
}

TEST_F(LibraryStoreTest, StatsCountReadableTracksOnly) {
    auto a = track("a.mp3");
    a.artist = "X";
    a.album = "One";
    a.duration = 100;
    a.rg_track_gain_db = -1.0;
    auto b = track("b.mp3");
    b.artist = "Y";
    b.album = "One";
    b.duration = 50.5;
    auto c = track("c.mp3");
    c.artist = "";
    c.album = "";
    c.duration = 10;
    auto broken = track("broken.mp3");
    broken.artist = "Z";
    broken.album = "Two";
    broken.duration = 999;
    broken.error = "cannot open";
    store_.upsert({a, b, c, broken});

    const LibraryStats s = store_.stats();
    EXPECT_EQ(s.tracks, 3U);
    EXPECT_EQ(s.unreadable, 1U);
    EXPECT_EQ(s.artists, 2U);
    EXPECT_EQ(s.albums, 1U);
    EXPECT_DOUBLE_EQ(s.total_duration, 160.5);
    EXPECT_EQ(s.needing_analysis, 2U);

    const LibraryStats empty = LibraryStore(db_, "/elsewhere").stats();
    EXPECT_EQ(empty.tracks, 0U);
    EXPECT_EQ(empty.total_duration, 0.0);
}

TEST_F(LibraryStoreTest, RootsDoNotSeeEachOther) {
    LibraryStore other(db_, "/srv/other");
    auto mine = track("same.mp3");
    mine.title = "mine";
    auto theirs = track("same.mp3", 5, 6);
    theirs.title = "theirs";
    store_.upsert({mine, track("only-mine.mp3")});
    other.upsert({theirs});

    EXPECT_EQ(store_.find("same.mp3")->title, "mine");
    EXPECT_EQ(other.find("same.mp3")->title, "theirs");
    EXPECT_FALSE(other.find("only-mine.mp3").has_value());
    EXPECT_THAT(paths_of(other.all()), ElementsAre("same.mp3"));
    EXPECT_EQ(other.stamps().at("same.mp3").mtime, 5);
    EXPECT_EQ(other.stats().tracks, 1U);
    EXPECT_EQ(store_.stats().tracks, 2U);

    other.set_loudness("same.mp3", -10.0, 1.0);
    EXPECT_FALSE(store_.find("same.mp3")->loudness_lufs.has_value());
    EXPECT_THAT(store_.needing_analysis(10), ElementsAre("only-mine.mp3", "same.mp3"));

    EXPECT_EQ(other.remove({"same.mp3", "only-mine.mp3"}), 1U);
    EXPECT_TRUE(store_.find("same.mp3").has_value());
}

TEST_F(LibraryStoreTest, TenThousandTracksUpsertInWellUnderASecond) {
    std::vector<TrackRecord> tracks;
    tracks.reserve(10000);
    for (int i = 0; i < 10000; ++i) {
        tracks.push_back(
            track("Folder " + std::to_string(i / 100) + "/Track " + std::to_string(i) + ".mp3"));
    }
    const auto start = std::chrono::steady_clock::now();
    store_.upsert(tracks);
    store_.upsert(tracks); // the rescan case: every row exists
    const auto elapsed = std::chrono::steady_clock::now() - start;
    EXPECT_LT(elapsed, std::chrono::seconds(2));
    EXPECT_EQ(store_.stats().tracks, 10000U);
    EXPECT_EQ(store_.stamps().size(), 10000U);
}

TEST(LibraryStoreFile, TenThousandTracksOnDiskInOneTransaction) {
    test::TempDir dir;
    Database db(dir.file("tinyice.db"));
    LibraryStore store(db, "/music");
    std::vector<TrackRecord> tracks;
    for (int i = 0; i < 10000; ++i) {
        tracks.push_back(track("t" + std::to_string(i) + ".mp3"));
    }
    const auto start = std::chrono::steady_clock::now();
    store.upsert(tracks);
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
    EXPECT_EQ(store.all().size(), 10000U);
}

TEST(LibraryStoreFile, RowsSurviveReopening) {
    test::TempDir dir;
    {
        Database db(dir.file("tinyice.db"));
        LibraryStore(db, "/music").upsert({track("a.mp3")});
    }
    Database db(dir.file("tinyice.db"));
    EXPECT_TRUE(LibraryStore(db, "/music").find("a.mp3").has_value());
}

} // namespace
} // namespace tinyice::storage
