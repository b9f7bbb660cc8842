#include "storage/HistoryStore.hpp"

#include "StorageTestUtil.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <thread>
#include <vector>

namespace tinyice::storage {
namespace {

using test::ConnectionBlocker;
using ::testing::ElementsAre;

PlayRecord play(std::string mount, std::int64_t started_at, std::string title = "") {
    PlayRecord p;
    p.mount = std::move(mount);
    p.started_at = started_at;
    p.title = title.empty() ? "t" + std::to_string(started_at) : std::move(title);
    p.source = "autodj";
    return p;
}

std::vector<std::string> titles(const std::vector<PlayRecord>& plays) {
    std::vector<std::string> out;
    for (const auto& p : plays) {
        out.push_back(p.title);
    }
    return out;
}

class HistoryStoreTest : public ::testing::Test {
protected:
    Database db_{":memory:"};
};

TEST_F(HistoryStoreTest, EveryFieldRoundTripsAndIdsAreAssigned) {
    HistoryStore history(db_);
    PlayRecord p;
    p.mount = "/autodj";
    p.started_at = 1700000000123;
    p.artist = "Nina Simone";
    p.title = "Sinnerman";
    p.file = "Jazz/Nina/Sinnerman.flac";
    p.duration = 622.5;
    p.listeners = 42;
    p.source = "autodj";
    history.record(p);
    history.flush();
    const auto plays = history.recent("", 10);
    ASSERT_EQ(plays.size(), 1U);
    EXPECT_GT(plays[0].id, 0);
    p.id = plays[0].id;
    EXPECT_EQ(plays[0], p);
}

TEST_F(HistoryStoreTest, RecentIsNewestFirstWithTiesInRecordingOrder) {
    HistoryStore history(db_);
    history.record(play("/a", 200, "second"));
    history.record(play("/a", 100, "first"));
    history.record(play("/a", 300, "third-a"));
    history.record(play("/a", 300, "third-b"));
    history.flush();
    EXPECT_THAT(titles(history.recent("/a", 10)),
                ElementsAre("third-b", "third-a", "second", "first"));
    EXPECT_THAT(titles(history.recent("/a", 2)), ElementsAre("third-b", "third-a"));
}

TEST_F(HistoryStoreTest, MountFilterAndPaging) {
    HistoryStore history(db_);
    for (int i = 1; i <= 6; ++i) {
        history.record(play(i % 2 == 0 ? "/even" : "/odd", i * 1000));
    }
    history.flush();
    EXPECT_THAT(titles(history.recent("/even", 10)), ElementsAre("t6000", "t4000", "t2000"));
    EXPECT_THAT(titles(history.recent("/odd", 10)), ElementsAre("t5000", "t3000", "t1000"));
    EXPECT_TRUE(history.recent("/none", 10).empty());
    EXPECT_EQ(history.recent("", 10).size(), 6U);

    // Paging: the next page starts before the oldest play of the previous one.
    const auto page1 = history.recent("", 4);
    EXPECT_THAT(titles(page1), ElementsAre("t6000", "t5000", "t4000", "t3000"));
    const auto page2 = history.recent("", 4, page1.back().started_at);
    EXPECT_THAT(titles(page2), ElementsAre("t2000", "t1000"));
    EXPECT_THAT(titles(history.recent("/even", 10, 4000)), ElementsAre("t2000"));
    EXPECT_TRUE(history.recent("/even", 10, 1000).empty());
}

TEST_F(HistoryStoreTest, LimitIsCappedAtOneThousand) {
    HistoryStore history(db_);
    for (int i = 0; i < 1200; ++i) {
        history.record(play("/a", i + 1));
    }
    history.flush();
    const auto plays = history.recent("/a", 5000);
    ASSERT_EQ(plays.size(), 1000U);
    EXPECT_EQ(plays.front().started_at, 1200);
    EXPECT_EQ(plays.back().started_at, 201);
    EXPECT_TRUE(history.recent("/a", 0).empty());
}

TEST_F(HistoryStoreTest, PruneDeletesOnlyOlderPlays) {
    HistoryStore history(db_);
    for (int i = 1; i <= 5; ++i) {
        history.record(play("/a", i * 10));
    }
    history.flush();
    EXPECT_EQ(history.prune(30), 2U);
    EXPECT_THAT(titles(history.recent("", 10)), ElementsAre("t50", "t40", "t30"));
    EXPECT_EQ(history.prune(30), 0U);
}

TEST_F(HistoryStoreTest, AFullQueueDropsAndCounts) {
    HistoryStore history(db_, 3);
    {
        ConnectionBlocker blocker(db_);
        for (int i = 1; i <= 8; ++i) {
            history.record(play("/a", i));
        }
        // Three are pending (queued or held by the blocked writer); five were refused.
        EXPECT_EQ(history.dropped(), 5U);
    }
    history.flush();
    EXPECT_THAT(titles(history.recent("/a", 10)), ElementsAre("t3", "t2", "t1"));

    // Room again once written.
    history.record(play("/a", 9));
    history.flush();
    EXPECT_EQ(history.recent("/a", 10).size(), 4U);
    EXPECT_EQ(history.dropped(), 5U);
}

TEST_F(HistoryStoreTest, AFailedWriteIsCountedAndTheWriterCarriesOn) {
    HistoryStore history(db_);
    test::exec(db_, "CREATE TEMP TRIGGER refuse BEFORE INSERT ON plays "
                    "BEGIN SELECT RAISE(ABORT, 'disk on fire'); END");
    history.record(play("/a", 1));
    history.record(play("/a", 2));
    history.flush();
    const auto lost = history.dropped();
    EXPECT_EQ(lost, 2U);
    EXPECT_TRUE(history.recent("/a", 10).empty());

    test::exec(db_, "DROP TRIGGER refuse");
    history.record(play("/a", 3));
    history.flush();
    EXPECT_THAT(titles(history.recent("/a", 10)), ElementsAre("t3"));
    EXPECT_EQ(history.dropped(), lost);
}

TEST_F(HistoryStoreTest, ConcurrentRecordersLoseNothingAndKeepTheirOrder) {
    HistoryStore history(db_);
    constexpr int threads = 4;
    constexpr int per_thread = 500;
    std::vector<std::thread> recorders;
    for (int t = 0; t < threads; ++t) {
        recorders.emplace_back([&history, t] {
            for (int i = 0; i < per_thread; ++i) {
                // Same timestamp for all: only insertion order tells them apart.
                history.record(play("/m" + std::to_string(t), 1000, std::to_string(i)));
            }
        });
    }
    for (auto& r : recorders) {
        r.join();
    }
    history.flush();
    EXPECT_EQ(history.dropped(), 0U);
    EXPECT_EQ(test::query_int(db_, "SELECT COUNT(*) FROM plays"), threads * per_thread);
    for (int t = 0; t < threads; ++t) {
        const auto plays = history.recent("/m" + std::to_string(t), 1000);
        ASSERT_EQ(plays.size(), static_cast<std::size_t>(per_thread));
        for (int i = 0; i < per_thread; ++i) {
            EXPECT_EQ(plays[static_cast<std::size_t>(i)].title, std::to_string(per_thread - 1 - i));
        }
    }
}

TEST_F(HistoryStoreTest, FlushWithNothingQueuedReturns) {
    HistoryStore history(db_);
    history.flush();
    EXPECT_TRUE(history.recent("", 10).empty());
    EXPECT_EQ(history.dropped(), 0U);
}

TEST(HistoryStoreFile, HistorySurvivesARestart) {
    test::TempDir dir;
    {
        Database db(dir.file("tinyice.db"));
        HistoryStore history(db);
        for (int i = 1; i <= 300; ++i) {
            history.record(play("/live", i));
        }
        // No flush: the destructor writes what is queued.
    }
    Database db(dir.file("tinyice.db"));
    HistoryStore history(db);
    const auto plays = history.recent("/live", 1000);
    ASSERT_EQ(plays.size(), 300U);
    EXPECT_EQ(plays.front().started_at, 300);
    EXPECT_EQ(plays.back().started_at, 1);
}

} // namespace
} // namespace tinyice::storage
