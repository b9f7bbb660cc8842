#include "security/Lockouts.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace tinyice::security {
namespace {

using std::chrono::milliseconds;

IpAddress v4(std::uint8_t a, std::uint8_t b, std::uint8_t c, std::uint8_t d) {
    return IpAddress::from_v4({a, b, c, d});
}

IpAddress nth(std::uint32_t i) {
    return v4(10, static_cast<std::uint8_t>(i >> 16U), static_cast<std::uint8_t>(i >> 8U),
              static_cast<std::uint8_t>(i));
}

TEST(FailureCounter, TripsOnceAtThreshold) {
    FailureCounter c(3, milliseconds(1000));
    const IpAddress who = v4(192, 0, 2, 1);
    EXPECT_FALSE(c.add(who, 0));
    EXPECT_FALSE(c.add(who, 10));
    EXPECT_EQ(c.count(who, 10), 2U);
    EXPECT_TRUE(c.add(who, 20));
    // The tripping failures are forgotten: the ban takes over, and a new trip needs a new run.
    EXPECT_EQ(c.count(who, 20), 0U);
    EXPECT_FALSE(c.add(who, 30));
    EXPECT_FALSE(c.add(who, 40));
    EXPECT_TRUE(c.add(who, 50));
}

TEST(FailureCounter, ThresholdOneTripsImmediately) {
    FailureCounter c(1, milliseconds(1000));
    EXPECT_TRUE(c.add(v4(1, 1, 1, 1), 0));
    EXPECT_TRUE(c.add(v4(1, 1, 1, 1), 1));
}

TEST(FailureCounter, WindowSlides) {
    FailureCounter c(3, milliseconds(1000));
    const IpAddress who = v4(192, 0, 2, 1);
    EXPECT_FALSE(c.add(who, 0));
    EXPECT_FALSE(c.add(who, 600));
    EXPECT_EQ(c.count(who, 999), 2U);
    EXPECT_EQ(c.count(who, 1000), 1U); // t=0 left the window exactly one window later
    // Only t=600 and t=1000 are inside: no trip.
    EXPECT_FALSE(c.add(who, 1000));
    EXPECT_EQ(c.count(who, 1000), 2U);
    // t=600, 1000, 1599 are all inside [600, 1599]: trip.
    EXPECT_TRUE(c.add(who, 1599));
}

TEST(FailureCounter, SlowFailuresNeverTrip) {
    FailureCounter c(3, milliseconds(1000));
    const IpAddress who = v4(192, 0, 2, 1);
    for (std::int64_t t = 0; t < 100000; t += 600) {
        ASSERT_FALSE(c.add(who, t)) << t; // never more than two inside one second
    }
}

TEST(FailureCounter, KeysAreIndependentAndClearForgets) {
    FailureCounter c(2, milliseconds(1000));
    const IpAddress a = v4(192, 0, 2, 1);
    const IpAddress b = *IpAddress::parse("2001:db8::1");
    EXPECT_FALSE(c.add(a, 0));
    EXPECT_FALSE(c.add(b, 0));
    EXPECT_EQ(c.count(a, 0), 1U);
    c.clear(a);
    EXPECT_EQ(c.count(a, 0), 0U);
    EXPECT_FALSE(c.add(a, 1)); // a starts over
    EXPECT_TRUE(c.add(b, 1));
    c.clear(*IpAddress::parse("2001:db8::2")); // unknown key: nothing happens
    EXPECT_EQ(c.count(a, 1), 1U);
}

TEST(FailureCounter, V4MappedIsTheSameKey) {
    FailureCounter c(2, milliseconds(1000));
    EXPECT_FALSE(c.add(*IpAddress::parse("203.0.113.5"), 0));
    EXPECT_TRUE(c.add(*IpAddress::parse("::ffff:203.0.113.5"), 1));
}

TEST(FailureCounter, ClockGoingBackwardsCountsAsFresh) {
    FailureCounter c(3, milliseconds(1000));
    const IpAddress who = v4(192, 0, 2, 1);
    EXPECT_FALSE(c.add(who, 5000));
    EXPECT_FALSE(c.add(who, 4990)); // another thread read the clock first and locked second
    EXPECT_EQ(c.count(who, 4990), 2U);
    EXPECT_TRUE(c.add(who, 5001));
    // Extreme values do not overflow.
    EXPECT_FALSE(c.add(who, INT64_MIN));
    EXPECT_EQ(c.count(who, INT64_MAX), 0U);
}

TEST(FailureCounter, EvictsOldestWhenFull) {
    FailureCounter c(2, milliseconds(60000), 3);
    const IpAddress a = v4(1, 0, 0, 1);
    const IpAddress b = v4(1, 0, 0, 2);
    const IpAddress d = v4(1, 0, 0, 3);
    const IpAddress e = v4(1, 0, 0, 4);
    EXPECT_FALSE(c.add(a, 0));
    EXPECT_FALSE(c.add(b, 1));
    EXPECT_FALSE(c.add(d, 2));
    EXPECT_EQ(c.size(), 3U);
    EXPECT_FALSE(c.add(e, 3)); // evicts a, the least recently counted
    EXPECT_EQ(c.size(), 3U);
    EXPECT_EQ(c.count(a, 3), 0U);
    EXPECT_EQ(c.count(b, 3), 1U);
    // b's failure survived a's eviction, so its second one trips.
    EXPECT_TRUE(c.add(b, 4));
    EXPECT_EQ(c.size(), 2U);
}

TEST(FailureCounter, ManyAddressesStayBounded) {
    FailureCounter c(5, milliseconds(60000), 1000);
    for (std::uint32_t i = 0; i < 50000; ++i) {
        c.add(nth(i), i);
    }
    EXPECT_EQ(c.size(), 1000U);
    // The most recent addresses are the ones kept.
    EXPECT_EQ(c.count(nth(49999), 50000), 1U);
    EXPECT_EQ(c.count(nth(0), 50000), 0U);
}

TEST(FailureCounter, PruneDropsExpiredKeys) {
    FailureCounter c(5, milliseconds(1000));
    for (std::uint32_t i = 0; i < 100; ++i) {
        c.add(nth(i), 0);
    }
    c.add(nth(1000), 800);
    EXPECT_EQ(c.size(), 101U);
    c.prune(999);
    EXPECT_EQ(c.size(), 101U);
    c.prune(1000);
    EXPECT_EQ(c.size(), 1U); // only the key active at t=800 is left
    EXPECT_EQ(c.count(nth(1000), 1000), 1U);
    c.prune(1800);
    EXPECT_EQ(c.size(), 0U);
}

TEST(FailureCounter, AddShrinksTheTableWithoutPrune) {
    FailureCounter c(1000, milliseconds(1000));
    for (std::uint32_t i = 0; i < 100; ++i) {
        c.add(nth(i), 0);
    }
    // Each add drops a couple of expired keys from the old end.
    for (std::uint32_t i = 0; i < 60; ++i) {
        c.add(v4(9, 9, 9, 9), 5000);
    }
    EXPECT_EQ(c.size(), 1U);
    EXPECT_EQ(c.count(v4(9, 9, 9, 9), 5000), 60U);
}

TEST(FailureCounter, RejectsUselessSettings) {
    EXPECT_THROW(FailureCounter(0, milliseconds(1000)), std::invalid_argument);
    EXPECT_THROW(FailureCounter(3, milliseconds(0)), std::invalid_argument);
    EXPECT_THROW(FailureCounter(3, milliseconds(-5)), std::invalid_argument);
    EXPECT_THROW(FailureCounter(3, milliseconds(1000), 0), std::invalid_argument);
}

TEST(FailureCounter, ConcurrentAddsLoseNothing) {
    // Every add happens at the same instant, so trips are exactly total / threshold no matter
    // how the threads interleave.
    constexpr std::uint32_t threshold = 7;
    constexpr int threads = 4;
    constexpr int per_thread = 7 * 1000;
    FailureCounter c(threshold, milliseconds(60000));
    std::atomic<int> trips{0};
    std::vector<std::thread> workers;
    for (int t = 0; t < threads; ++t) {
        workers.emplace_back([&] {
            for (int i = 0; i < per_thread; ++i) {
                if (c.add(v4(198, 51, 100, 1), 1)) {
                    trips.fetch_add(1);
                }
                (void)c.count(v4(198, 51, 100, 1), 1);
            }
        });
    }
    for (auto& w : workers) {
        w.join();
    }
    EXPECT_EQ(trips.load(), threads * per_thread / static_cast<int>(threshold));
}

TEST(DistinctCounter, RepeatsDoNotTrip) {
    DistinctCounter c(5, milliseconds(60000));
    const IpAddress player = v4(192, 0, 2, 1);
    for (int i = 0; i < 1000; ++i) {
        ASSERT_FALSE(c.add(player, "/dead-mount.mp3", i));
    }
    EXPECT_EQ(c.count(player, 1000), 1U);
}

TEST(DistinctCounter, DistinctValuesTripOnce) {
    DistinctCounter c(25, milliseconds(60000));
    const IpAddress scanner = v4(203, 0, 113, 9);
    for (int i = 0; i < 24; ++i) {
        ASSERT_FALSE(c.add(scanner, "/probe/" + std::to_string(i), i));
        ASSERT_FALSE(c.add(scanner, "/probe/" + std::to_string(i), i)); // repeats change nothing
    }
    EXPECT_EQ(c.count(scanner, 24), 24U);
    EXPECT_TRUE(c.add(scanner, "/probe/24", 24));
    EXPECT_EQ(c.count(scanner, 24), 0U);
    EXPECT_FALSE(c.add(scanner, "/probe/25", 25));
}

TEST(DistinctCounter, ValuesExpireAndRepeatsRefresh) {
    DistinctCounter c(3, milliseconds(1000));
    const IpAddress who = v4(192, 0, 2, 1);
    EXPECT_FALSE(c.add(who, "/a", 0));
    EXPECT_FALSE(c.add(who, "/b", 100));
    EXPECT_FALSE(c.add(who, "/a", 900)); // refreshes /a
    EXPECT_EQ(c.count(who, 1050), 2U);   // /b still in, /a refreshed
    EXPECT_EQ(c.count(who, 1100), 1U);   // /b left at 1100
    EXPECT_FALSE(c.add(who, "/c", 1100));
    EXPECT_TRUE(c.add(who, "/d", 1200)); // /a (900), /c, /d
}

TEST(DistinctCounter, ValuesAreExactBytes) {
    DistinctCounter c(3, milliseconds(1000));
    const IpAddress who = v4(192, 0, 2, 1);
    EXPECT_FALSE(c.add(who, "/A", 0));
    EXPECT_FALSE(c.add(who, "/a", 0));
    EXPECT_TRUE(c.add(who, std::string("/a\0x", 4), 0));
}

TEST(DistinctCounter, EvictsOldestWhenFullAndClear) {
    DistinctCounter c(2, milliseconds(60000), 2);
    EXPECT_FALSE(c.add(v4(1, 0, 0, 1), "/x", 0));
    EXPECT_FALSE(c.add(v4(1, 0, 0, 2), "/x", 1));
    EXPECT_FALSE(c.add(v4(1, 0, 0, 3), "/x", 2));
    EXPECT_EQ(c.size(), 2U);
    EXPECT_EQ(c.count(v4(1, 0, 0, 1), 2), 0U);
    EXPECT_FALSE(c.add(v4(1, 0, 0, 1), "/y", 3)); // starts over after eviction
    c.clear(v4(1, 0, 0, 3));
    EXPECT_EQ(c.size(), 1U);
    c.prune(60003);
    EXPECT_EQ(c.size(), 0U);
}

TEST(DistinctCounter, RejectsUselessSettings) {
    EXPECT_THROW(DistinctCounter(0, milliseconds(1000)), std::invalid_argument);
    EXPECT_THROW(DistinctCounter(3, milliseconds(0)), std::invalid_argument);
    EXPECT_THROW(DistinctCounter(3, milliseconds(1000), 0), std::invalid_argument);
    EXPECT_THROW(DistinctCounter(65, milliseconds(1000)), std::invalid_argument);
    EXPECT_NO_THROW(DistinctCounter(64, milliseconds(1000)));
    EXPECT_NO_THROW(DistinctCounter(100, milliseconds(1000), 10, 100));
}

TEST(DistinctCounter, ManyAddressesStayBounded) {
    DistinctCounter c(10, milliseconds(60000), 500);
    for (std::uint32_t i = 0; i < 20000; ++i) {
        c.add(nth(i), std::to_string(i), i);
    }
    EXPECT_EQ(c.size(), 500U);
    EXPECT_EQ(c.count(nth(19999), 20000), 1U);
}

} // namespace
} // namespace tinyice::security
