#include "autodj/Pacer.hpp"

#include <gtest/gtest.h>

#include <chrono>

namespace tinyice::autodj {
namespace {

using namespace std::chrono_literals;
using TimePoint = Pacer::TimePoint;

const TimePoint t0 = TimePoint{} + 1000s;

Pacer make(int rate, std::chrono::milliseconds lead = 250ms) {
    return Pacer(Pacer::Settings{rate, 20ms, lead, 2000ms});
}

TEST(PacerTest, FirstLeadOfAudioIsDueAtOnce) {
    auto pacer = make(44100, 250ms);
    pacer.start(t0);
    int due_now = 0;
    while (pacer.due() <= t0) {
        pacer.advance();
        ++due_now;
    }
    // Blocks 0..12 start at 0..240 ms, all within the 250 ms lead.
    EXPECT_EQ(due_now, 13);
    EXPECT_EQ(pacer.due(), t0 + 260ms - 250ms);
}

TEST(PacerTest, BlocksAreTwentyMillisecondsOfFrames) {
    auto pacer = make(48000);
    pacer.start(t0);
    EXPECT_EQ(pacer.block_frames(), 960U);
    EXPECT_EQ(pacer.max_block_frames(), 960U);
    pacer.advance();
    EXPECT_EQ(pacer.frames(), 960U);
}

TEST(PacerTest, OddBlockSizesAlternateWithoutLosingFrames) {
    auto pacer = make(11025);
    pacer.start(t0);
    EXPECT_EQ(pacer.max_block_frames(), 221U);
    std::size_t small = 0;
    std::size_t large = 0;
    for (int i = 0; i < 100; ++i) {
        const auto n = pacer.block_frames();
        ASSERT_TRUE(n == 220 || n == 221) << n;
        (n == 220 ? small : large)++;
        pacer.advance();
    }
    EXPECT_EQ(small, 50U);
    EXPECT_EQ(large, 50U);
    EXPECT_EQ(pacer.frames(), 22050U); // exactly 2 s
}

// A producer that is always exactly on time for ten hours: the due time of the block after
// ten hours of audio is exactly ten hours after the start (minus the lead), to the nanosecond.
void expect_no_drift(int rate) {
    auto pacer = make(rate);
    pacer.start(t0);
    const std::uint64_t blocks = 10ULL * 3600 * 50;
    for (std::uint64_t i = 0; i < blocks; ++i) {
        const auto due = pacer.due();
        ASSERT_FALSE(pacer.rebase_if_stalled(std::max(due, t0)));
        pacer.advance();
    }
    EXPECT_EQ(pacer.frames(), 10ULL * 3600 * static_cast<std::uint64_t>(rate));
    EXPECT_EQ(pacer.due(), t0 + 10h - 250ms);
    EXPECT_EQ(pacer.rebases(), 0U);
}

TEST(PacerTest, NoDriftOverTenHours44100) {
    expect_no_drift(44100);
}

TEST(PacerTest, NoDriftOverTenHours11025) {
    expect_no_drift(11025);
}

TEST(PacerTest, NoDriftOverTenHoursWithOddRate) {
    // 44100 * 20 ms divides evenly; 22222 Hz does not (444.44 frames per block).
    expect_no_drift(22222);
}

TEST(PacerTest, SmallLatenessIsCaughtUpNotRebased) {
    auto pacer = make(44100);
    pacer.start(t0);
    for (int i = 0; i < 100; ++i) {
        pacer.advance();
    }
    const auto late = pacer.due() + 1500ms;
    EXPECT_FALSE(pacer.rebase_if_stalled(late));
    // The missed blocks are all due: the producer catches up with a burst of 1.5 s.
    int due = 0;
    while (pacer.due() <= late) {
        pacer.advance();
        ++due;
    }
    EXPECT_EQ(due, 76); // 1500 ms / 20 ms, plus the one that was due at the stall
}

TEST(PacerTest, StallRebasesInsteadOfBursting) {
    auto pacer = make(44100);
    pacer.start(t0);
    for (int i = 0; i < 500; ++i) {
        pacer.advance();
    }
    const auto frames_before = pacer.frames();
    const auto woke = pacer.due() + 30s; // suspended for half a minute
    EXPECT_TRUE(pacer.rebase_if_stalled(woke));
    EXPECT_EQ(pacer.rebases(), 1U);
    EXPECT_EQ(pacer.due(), woke - 250ms);
    // From there on, audio runs at the normal rate with the usual lead ahead.
    int due_now = 0;
    while (pacer.due() <= woke) {
        pacer.advance();
        ++due_now;
    }
    EXPECT_EQ(due_now, 13);
    EXPECT_EQ(pacer.frames(), frames_before + 13 * 882);
    EXPECT_FALSE(pacer.rebase_if_stalled(woke));
    for (int i = 0; i < 50; ++i) {
        pacer.advance();
    }
    EXPECT_EQ(pacer.due(), woke + (63 * 20ms) - 250ms);
}

TEST(PacerTest, RestartCountsFromZero) {
    auto pacer = make(44100);
    pacer.start(t0);
    pacer.advance();
    pacer.start(t0 + 1h);
    EXPECT_EQ(pacer.frames(), 0U);
    EXPECT_EQ(pacer.due(), t0 + 1h - 250ms);
}

TEST(PacerTest, RejectsNonsense) {
    EXPECT_THROW(Pacer(Pacer::Settings{0, 20ms, 250ms, 2000ms}), std::invalid_argument);
    EXPECT_THROW(Pacer(Pacer::Settings{44100, 0ms, 250ms, 2000ms}), std::invalid_argument);
}

} // namespace
} // namespace tinyice::autodj
