#include "storage/ListenerStatsStore.hpp"

#include "StorageTestUtil.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <limits>
#include <string>
#include <utility>
#include <vector>

namespace tinyice::storage {
namespace {

using test::ConnectionBlocker;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using Point = ListenerPoint;

constexpr std::int64_t minute_ms = 60000;
// A minute-aligned start (2023-11-14T22:13:00Z) so the tests read in whole minutes.
constexpr std::int64_t t0 = 28333333 * minute_ms;
constexpr std::int64_t m0 = t0 / minute_ms;

ListenerSessionRecord listener(std::string mount, std::int64_t started_at, std::int64_t ended_at,
                               std::string user_agent = "VLC/3.0.18") {
    return ListenerSessionRecord{.mount = std::move(mount),
                                 .started_at = started_at,
                                 .ended_at = ended_at,
                                 .user_agent = std::move(user_agent),
                                 .ip_anon = "192.0.2.0",
                                 .bytes = 1234};
}

class ListenerStatsStoreTest : public ::testing::Test {
protected:
    Database db_{":memory:"};
    ListenerStatsStore stats_{db_};
};

TEST_F(ListenerStatsStoreTest, SessionsAreStoredWithTheirDuration) {
    auto s = listener("/live", t0, t0 + 90'500, "Mozilla/5.0");
    s.bytes = 1ULL << 40;
    stats_.record_session(s);
    stats_.record_session(listener("/live", t0 + 10, t0 + 5)); // ended "before" it started
    stats_.flush();
    EXPECT_EQ(test::query_int(db_, "SELECT duration_ms FROM listener_sessions WHERE "
                                   "user_agent = 'Mozilla/5.0'"),
              90'500);
    EXPECT_EQ(test::query_int(db_, "SELECT bytes FROM listener_sessions WHERE "
                                   "user_agent = 'Mozilla/5.0'"),
              1LL << 40);
    EXPECT_EQ(test::query_text(db_, "SELECT ip_anon FROM listener_sessions LIMIT 1"), "192.0.2.0");
    EXPECT_EQ(test::query_int(db_, "SELECT duration_ms FROM listener_sessions WHERE "
                                   "user_agent = 'VLC/3.0.18'"),
              0);
}

TEST_F(ListenerStatsStoreTest, SummaryCountsSessionsThatStartedInTheRange) {
    stats_.record_session(listener("/a", t0, t0 + 60'000));
    stats_.record_session(listener("/a", t0 + 1000, t0 + 31'000));
    stats_.record_session(listener("/b", t0 + 2000, t0 + 2000 + 3'600'000));
    stats_.record_session(listener("/a", t0 + 10'000, t0 + 20'000)); // starts at `to`
    stats_.record_session(listener("/a", t0 - 1, t0 + 100'000));     // before `from`
    stats_.flush();

    const auto a = stats_.summary("/a", t0, t0 + 10'000);
    EXPECT_EQ(a.sessions, 2U);
    EXPECT_EQ(a.total_seconds, 90U);
    EXPECT_DOUBLE_EQ(a.average_seconds, 45.0);

    const auto all = stats_.summary("", t0, t0 + 10'000);
    EXPECT_EQ(all.sessions, 3U);
    EXPECT_EQ(all.total_seconds, 3690U);
    EXPECT_DOUBLE_EQ(all.average_seconds, 1230.0);

    EXPECT_EQ(stats_.summary("/none", t0, t0 + 10'000), ListenerStatsStore::Summary{});
    EXPECT_EQ(stats_.summary("", t0 + 10'000, t0), ListenerStatsStore::Summary{});
}

TEST_F(ListenerStatsStoreTest, SeriesAveragesStoredMinutesPerBucket) {
    // Minutes 0..9 of /a; minute 5..6 missing (the server was down).
    const std::uint64_t counts[] = {10, 20, 30, 40, 50, 0, 0, 70, 80, 90};
    for (std::int64_t i = 0; i < 10; ++i) {
        if (i != 5 && i != 6) {
            stats_.record_minute("/a", m0 + i, counts[i]);
        }
    }
    stats_.record_minute("/b", m0 + 1, 1000);
    stats_.flush();

    // 5-minute buckets: [0,5) averages 10..50 = 30; [5,10) only has 7, 8, 9 = 80.
    EXPECT_THAT(stats_.series("/a", t0, t0 + 10 * minute_ms, 5 * minute_ms),
                ElementsAre(Point{t0, 30.0}, Point{t0 + 5 * minute_ms, 80.0}));
    // 2-minute buckets: the bucket of minutes 5 and 6 has no data and is omitted.
    EXPECT_THAT(stats_.series("/a", t0, t0 + 10 * minute_ms, 2 * minute_ms),
                ElementsAre(Point{t0, 15.0}, Point{t0 + 2 * minute_ms, 35.0},
                            Point{t0 + 4 * minute_ms, 50.0}, Point{t0 + 6 * minute_ms, 70.0},
                            Point{t0 + 8 * minute_ms, 85.0}));
    // [from, to) clips the minutes: 3 and 4 only.
    EXPECT_THAT(stats_.series("/a", t0 + 3 * minute_ms, t0 + 5 * minute_ms, 60 * minute_ms),
                ElementsAre(Point{t0 + 3 * minute_ms, 45.0}));
    EXPECT_THAT(stats_.series("/none", t0, t0 + 10 * minute_ms, minute_ms), IsEmpty());
}

TEST_F(ListenerStatsStoreTest, SeriesOfAllMountsSumsEachMinute) {
    stats_.record_minute("/a", m0, 10);
    stats_.record_minute("/b", m0, 5);
    stats_.record_minute("/a", m0 + 1, 20);
    stats_.record_minute("/c", m0 + 3, 7);
    stats_.flush();
    EXPECT_THAT(
        stats_.series("", t0, t0 + 4 * minute_ms, minute_ms),
        ElementsAre(Point{t0, 15.0}, Point{t0 + minute_ms, 20.0}, Point{t0 + 3 * minute_ms, 7.0}));
    // One bucket: the average of the three minutes with data (15 + 20 + 7) / 3.
    EXPECT_THAT(stats_.series("", t0, t0 + 4 * minute_ms, 4 * minute_ms),
                ElementsAre(Point{t0, 14.0}));
}

TEST_F(ListenerStatsStoreTest, SeriesBucketsStartAtFrom) {
    for (std::int64_t i = 0; i < 6; ++i) {
        stats_.record_minute("/a", m0 + i, static_cast<std::uint64_t>(i));
    }
    stats_.flush();
    // `from` half a minute in: minute 0 starts before it and is left out; buckets are
    // [from, from + 2 min) = minutes 1, 2 and so on.
    const std::int64_t from = t0 + 30'000;
    EXPECT_THAT(stats_.series("/a", from, t0 + 6 * minute_ms, 2 * minute_ms),
                ElementsAre(Point{from, 1.5}, Point{from + 2 * minute_ms, 3.5},
                            Point{from + 4 * minute_ms, 5.0}));
}

TEST_F(ListenerStatsStoreTest, SeriesBucketsAreAtLeastAMinuteAndBounded) {
    for (std::int64_t i = 0; i < 3; ++i) {
        stats_.record_minute("/a", m0 + i, 10);
    }
    stats_.flush();
    // A bucket below a minute (or not positive) is a minute.
    for (std::int64_t bucket : {std::int64_t{1}, std::int64_t{0}, std::int64_t{-5}}) {
        EXPECT_THAT(
            stats_.series("/a", t0, t0 + 3 * minute_ms, bucket),
            ElementsAre(Point{t0, 10}, Point{t0 + minute_ms, 10}, Point{t0 + 2 * minute_ms, 10}))
            << bucket;
    }
    // A whole year in one-minute buckets would be 525 600 points; the bucket is widened.
    const std::int64_t year = 365LL * 24 * 60 * minute_ms;
    for (std::int64_t i = 0; i < 20000; ++i) {
        stats_.record_minute("/b", m0 + i * 26, 1);
    }
    stats_.flush();
    const auto points = stats_.series("/b", t0, t0 + year, minute_ms);
    EXPECT_LE(points.size(), static_cast<std::size_t>(ListenerStatsStore::max_series_points));
    EXPECT_GT(points.size(), 5000U);
    // Empty, inverted and negative ranges.
    EXPECT_THAT(stats_.series("/a", t0, t0, minute_ms), IsEmpty());
    EXPECT_THAT(stats_.series("/a", t0 + minute_ms, t0, minute_ms), IsEmpty());
    EXPECT_THAT(stats_.series("/a", -5 * minute_ms, -minute_ms, minute_ms), IsEmpty());
    EXPECT_THAT(stats_.series("/a", std::numeric_limits<std::int64_t>::min(),
                              std::numeric_limits<std::int64_t>::max(), minute_ms),
                ElementsAre(::testing::Field(&Point::listeners, 10.0)));
}

TEST_F(ListenerStatsStoreTest, ASecondSampleOfAMinuteReplacesTheFirst) {
    stats_.record_minute("/a", m0, 10);
    stats_.record_minute("/a", m0, 12);
    stats_.flush();
    stats_.record_minute("/a", m0, 14); // in a later batch
    stats_.flush();
    EXPECT_THAT(stats_.series("/a", t0, t0 + minute_ms, minute_ms), ElementsAre(Point{t0, 14}));
    EXPECT_EQ(test::query_int(db_, "SELECT COUNT(*) FROM listener_minutes"), 1);
}

TEST_F(ListenerStatsStoreTest, TopUserAgentsAreTheMostFrequentInTheRange) {
    for (int i = 0; i < 3; ++i) {
        stats_.record_session(listener("/a", t0 + i, t0 + 1000, "VLC"));
    }
    for (int i = 0; i < 5; ++i) {
        stats_.record_session(listener("/b", t0 + i, t0 + 1000, "Winamp"));
    }
    stats_.record_session(listener("/a", t0, t0 + 1000, "Foobar"));
    stats_.record_session(listener("/a", t0, t0 + 1000, "Amarok")); // tie with Foobar
    stats_.record_session(listener("/a", t0, t0 + 1000, ""));
    stats_.record_session(listener("/a", t0 + 5000, t0 + 6000, "Late")); // at `to`
    stats_.record_session(listener("/a", t0 - 1, t0 + 6000, "Early"));
    stats_.flush();

    using Entry = std::pair<std::string, std::uint64_t>;
    EXPECT_THAT(stats_.top_user_agents(t0, t0 + 5000, 10),
                ElementsAre(Entry{"Winamp", 5}, Entry{"VLC", 3}, Entry{"", 1}, Entry{"Amarok", 1},
                            Entry{"Foobar", 1}));
    EXPECT_THAT(stats_.top_user_agents(t0, t0 + 5000, 2),
                ElementsAre(Entry{"Winamp", 5}, Entry{"VLC", 3}));
    EXPECT_THAT(stats_.top_user_agents(t0, t0 + 5000, 0), IsEmpty());
    EXPECT_THAT(stats_.top_user_agents(t0 + 5000, t0, 10), IsEmpty());
}

TEST_F(ListenerStatsStoreTest, LongUserAgentsAreClipped) {
    stats_.record_session(listener("/a", t0, t0 + 1, std::string(2000, 'a')));
    stats_.flush();
    const auto top = stats_.top_user_agents(t0, t0 + 1, 1);
    ASSERT_EQ(top.size(), 1U);
    EXPECT_EQ(top[0].first.size(), ListenerStatsStore::max_user_agent_bytes);
}

TEST_F(ListenerStatsStoreTest, MountsWithAnyDataInTheRange) {
    stats_.record_minute("/minutes-only", m0 + 1, 3);
    stats_.record_minute("/old", m0 - 10, 3);
    stats_.record_session(listener("/sessions-only", t0 + 5, t0 + 10));
    stats_.record_session(listener("/both", t0 + 5, t0 + 10));
    stats_.record_minute("/both", m0, 1);
    stats_.record_session(listener("/late", t0 + 3 * minute_ms, t0 + 4 * minute_ms));
    stats_.flush();
    EXPECT_THAT(stats_.mounts(t0, t0 + 3 * minute_ms),
                ElementsAre("/both", "/minutes-only", "/sessions-only"));
    EXPECT_THAT(stats_.mounts(t0 - 10 * minute_ms, t0 - 9 * minute_ms), ElementsAre("/old"));
    EXPECT_THAT(stats_.mounts(t0 + 10 * minute_ms, t0 + 20 * minute_ms), IsEmpty());
    EXPECT_THAT(stats_.mounts(t0, t0), IsEmpty());
}

TEST_F(ListenerStatsStoreTest, PruneDeletesOlderSessionsAndMinutes) {
    stats_.record_session(listener("/a", t0 - 1, t0));
    stats_.record_session(listener("/a", t0, t0 + 1));
    stats_.record_minute("/a", m0 - 1, 1);
    stats_.record_minute("/a", m0, 1);
    stats_.record_minute("/b", m0 - 2, 1);
    stats_.flush();
    EXPECT_EQ(stats_.prune(t0), 3U);
    EXPECT_EQ(stats_.summary("", 0, t0 + minute_ms).sessions, 1U);
    EXPECT_THAT(stats_.series("", t0 - 10 * minute_ms, t0 + minute_ms, minute_ms),
                ElementsAre(Point{t0, 1}));
    EXPECT_EQ(stats_.prune(t0), 0U);
    // The minute that began at t0 goes with the session that started then.
    EXPECT_EQ(stats_.prune(t0 + 1), 2U);
    EXPECT_EQ(test::query_int(db_, "SELECT COUNT(*) FROM listener_minutes"), 0);
    EXPECT_EQ(test::query_int(db_, "SELECT COUNT(*) FROM listener_sessions"), 0);
}

TEST_F(ListenerStatsStoreTest, AFullQueueDropsAndCounts) {
    ListenerStatsStore stats(db_, 4);
    {
        ConnectionBlocker blocker(db_);
        for (int i = 0; i < 3; ++i) {
            stats.record_session(listener("/a", t0 + i, t0 + 10));
        }
        for (int i = 0; i < 3; ++i) {
            stats.record_minute("/a", m0 + i, 1);
        }
        EXPECT_EQ(stats.dropped(), 2U);
    }
    stats.flush();
    EXPECT_EQ(stats.summary("/a", t0, t0 + 10).sessions, 3U);
    EXPECT_EQ(stats.series("/a", t0, t0 + 10 * minute_ms, minute_ms).size(), 1U);
}

TEST(ListenerStatsStoreFile, TheDestructorWritesWhatIsQueued) {
    test::TempDir dir;
    {
        Database db(dir.file("tinyice.db"));
        ListenerStatsStore stats(db);
        for (int i = 0; i < 500; ++i) {
            stats.record_session(listener("/a", t0 + i, t0 + 1000));
            stats.record_minute("/a", m0 + i, static_cast<std::uint64_t>(i));
        }
    }
    Database db(dir.file("tinyice.db"));
    ListenerStatsStore stats(db);
    EXPECT_EQ(stats.summary("/a", t0, t0 + 1000).sessions, 500U);
    EXPECT_EQ(stats.series("/a", t0, t0 + 500 * minute_ms, minute_ms).size(), 500U);
    EXPECT_EQ(stats.dropped(), 0U);
}

} // namespace
} // namespace tinyice::storage
