#include "autodj/Mixer.hpp"

#include "autodj/FakeDecoder.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <deque>
#include <vector>

namespace tinyice::autodj {
namespace {

using test::fake_decoder;

constexpr codec::PcmFormat mono{1000, 1}; // 1 frame = 1 ms
constexpr std::size_t block = 64;

std::unique_ptr<Deck> deck(std::uint64_t id, std::size_t frames, std::uint64_t expected,
                           float value = 0.5F) {
    return std::make_unique<Deck>(
        id, fake_decoder(mono, frames, [value](std::size_t) { return value; }), 1.0, expected,
        block);
}

struct Recorder : Mixer::Listener {
    std::deque<std::unique_ptr<Deck>> next;
    bool decline_crossfade = false;
    std::vector<bool> asked;                                      // at_end of each question
    std::vector<std::pair<std::uint64_t, std::uint64_t>> started; // id, absolute frame
    std::vector<std::pair<std::uint64_t, bool>> ended;
    std::uint64_t block_start = 0;

    std::unique_ptr<Deck> on_next_deck(bool at_end) override {
        asked.push_back(at_end);
        if ((!at_end && decline_crossfade) || next.empty()) {
            return nullptr;
        }
        auto d = std::move(next.front());
        next.pop_front();
        return d;
    }
    void on_deck_started(const Deck& d, std::size_t offset) override {
        started.emplace_back(d.id(), block_start + offset);
    }
    void on_deck_ended(const Deck& d, bool was_current) override {
        ended.emplace_back(d.id(), was_current);
    }
};

// Renders `frames` frames in blocks; returns the output.
std::vector<float> run(Mixer& mixer, Recorder& rec, std::size_t frames) {
    std::vector<float> all;
    std::vector<float> out(block);
    while (all.size() < frames) {
        mixer.render(out, block, rec);
        all.insert(all.end(), out.begin(), out.end());
        rec.block_start += block;
    }
    all.resize(frames);
    return all;
}

std::size_t count_nonzero(const std::vector<float>& v) {
    std::size_t n = 0;
    for (float x : v) {
        n += x != 0.0F ? 1 : 0;
    }
    return n;
}

TEST(MixerTest, GaplessTracksFollowOnTheNextFrame) {
    Mixer mixer(mono, block, 50);
    Recorder rec;
    rec.next.push_back(deck(2, 700, 700, 0.25F));
    mixer.start(deck(1, 1000, 1000, 0.5F), 0);
    const auto out = run(mixer, rec, 2000);
    EXPECT_FLOAT_EQ(out[999], 0.5F);
    EXPECT_FLOAT_EQ(out[1000], 0.25F); // no frame of silence between them
    EXPECT_FLOAT_EQ(out[1699], 0.25F);
    EXPECT_FLOAT_EQ(out[1700], 0.0F);
    EXPECT_EQ(count_nonzero(out), 1700U);
    ASSERT_EQ(rec.started.size(), 1U);
    EXPECT_EQ(rec.started[0], std::make_pair(std::uint64_t{2}, std::uint64_t{1000}));
    EXPECT_EQ(rec.asked, (std::vector<bool>{true, true}));
    EXPECT_TRUE(mixer.idle());
}

TEST(MixerTest, CrossfadeOverlapsByItsLength) {
    Mixer mixer(mono, block, 50);
    mixer.set_crossfade(300);
    Recorder rec;
    rec.next.push_back(deck(2, 700, 700, 0.5F));
    mixer.start(deck(1, 1000, 1000, 0.5F), 0);
    EXPECT_EQ(mixer.frames_until_transition(), 700U);
    const auto out = run(mixer, rec, 2000);
    ASSERT_EQ(rec.started.size(), 1U);
    EXPECT_EQ(rec.started[0].second, 700U); // the next track starts 300 frames before the end
    EXPECT_EQ(count_nonzero(out), 1000U + 700U - 300U);
    EXPECT_FLOAT_EQ(out[699], 0.5F);
    // Equal power: two equal, uncorrelated-in-gain signals sum to 0.5 * (sin + cos).
    EXPECT_NEAR(out[850], 0.5 * (fade_in_curve(0.5) + fade_out_curve(0.5)), 1e-5);
    EXPECT_NEAR(out[1000], 0.5F, 1e-6); // the old deck has finished, the new one is at full level
    EXPECT_EQ(rec.ended.size(), 2U);
    EXPECT_EQ(rec.ended[0], std::make_pair(std::uint64_t{1}, false)); // faded out
}

TEST(MixerTest, CrossfadeIsAtMostHalfTheTrack) {
    Mixer mixer(mono, block, 50);
    mixer.set_crossfade(5000);
    Recorder rec;
    rec.next.push_back(deck(2, 1000, 1000));
    mixer.start(deck(1, 400, 400), 0);
    EXPECT_EQ(mixer.frames_until_transition(), 200U);
    run(mixer, rec, 500);
    ASSERT_EQ(rec.started.size(), 1U);
    EXPECT_EQ(rec.started[0].second, 200U);
}

TEST(MixerTest, DeclinedCrossfadePlaysToTheEndAndAsksAgain) {
    Mixer mixer(mono, block, 50);
    mixer.set_crossfade(300);
    Recorder rec;
    rec.decline_crossfade = true;
    rec.next.push_back(deck(2, 500, 500, 0.25F));
    mixer.start(deck(1, 1000, 1000, 0.5F), 0);
    const auto out = run(mixer, rec, 2000);
    // Declined at track 1's crossfade point and at its end asked again; the same for track 2.
    EXPECT_EQ(rec.asked, (std::vector<bool>{false, true, false, true}));
    ASSERT_EQ(rec.started.size(), 1U);
    EXPECT_EQ(rec.started[0].second, 1000U);
    EXPECT_EQ(count_nonzero(out), 1500U);
}

TEST(MixerTest, TrackShorterThanExpectedContinuesGaplessly) {
    Mixer mixer(mono, block, 50);
    mixer.set_crossfade(300);
    Recorder rec;
    rec.next.push_back(deck(2, 500, 500, 0.25F));
    mixer.start(deck(1, 600, 1500, 0.5F), 0); // says 1.5 s, has 0.6 s
    const auto out = run(mixer, rec, 2000);
    ASSERT_EQ(rec.started.size(), 1U);
    EXPECT_EQ(rec.started[0].second, 600U);
    EXPECT_EQ(rec.asked, (std::vector<bool>{true, false, true}));
    EXPECT_FLOAT_EQ(out[600], 0.25F); // no fade-in: it simply continues
    EXPECT_EQ(count_nonzero(out), 1100U);
}

TEST(MixerTest, StartFadesTheOldDeckOutUnderTheNewOne) {
    Mixer mixer(mono, block, 50);
    Recorder rec;
    mixer.start(deck(1, 10000, 10000, 0.5F), 0);
    run(mixer, rec, 128);
    mixer.start(deck(2, 10000, 10000, 0.25F), 20);
    const auto out = run(mixer, rec, 64);
    EXPECT_FLOAT_EQ(out[0], 0.75F);
    EXPECT_FLOAT_EQ(out[20], 0.25F);
    ASSERT_EQ(rec.ended.size(), 1U);
    EXPECT_EQ(rec.ended[0], std::make_pair(std::uint64_t{1}, false));
}

TEST(MixerTest, PauseRampsToSilenceAndKeepsThePosition) {
    Mixer mixer(mono, block, 50);
    Recorder rec;
    mixer.start(deck(1, 10000, 10000, 0.5F), 0);
    run(mixer, rec, 128);
    mixer.set_playing(false);
    auto out = run(mixer, rec, 128);
    EXPECT_GE(out[0], 0.48F); // no click: it ramps down
    EXPECT_LT(out[0] - out[1], 0.011F);
    EXPECT_FLOAT_EQ(out[60], 0.0F); // silent after the 50-frame ramp
    EXPECT_TRUE(mixer.silent());
    const auto paused_at = mixer.current()->position_frames();
    out = run(mixer, rec, 640);
    EXPECT_EQ(count_nonzero(out), 0U);
    EXPECT_EQ(mixer.current()->position_frames(), paused_at); // the deck stands still
    mixer.set_playing(true);
    out = run(mixer, rec, 128);
    EXPECT_LT(out[0], 0.011F); // ramps up again
    EXPECT_FLOAT_EQ(out[100], 0.5F);
    EXPECT_EQ(mixer.current()->position_frames(), paused_at + 128);
}

TEST(MixerTest, VolumeChangesSmoothly) {
    Mixer mixer(mono, block, 100);
    Recorder rec;
    mixer.start(deck(1, 10000, 10000, 1.0F), 0);
    run(mixer, rec, 64);
    mixer.set_volume(0.2);
    const auto out = run(mixer, rec, 192);
    for (std::size_t i = 1; i < out.size(); ++i) {
        ASSERT_LE(std::abs(out[i] - out[i - 1]), 0.0101F) << i;
    }
    EXPECT_FLOAT_EQ(out.back(), 0.2F);
}

TEST(MixerTest, OutputIsClamped) {
    Mixer mixer(mono, block, 50);
    Recorder rec;
    mixer.start(std::make_unique<Deck>(1,
                                       fake_decoder(mono, 1000, [](std::size_t) { return 0.9F; }),
                                       4.0, 1000, block),
                0);
    const auto out = run(mixer, rec, 64);
    EXPECT_FLOAT_EQ(out[10], 1.0F);
}

TEST(MixerTest, EmptyTracksDoNotLoopForever) {
    Mixer mixer(mono, block, 50);
    Recorder rec;
    for (int i = 0; i < 100; ++i) {
        rec.next.push_back(deck(10 + i, 0, 0));
    }
    mixer.start(deck(1, 10, 10), 0);
    const auto out = run(mixer, rec, 64);
    EXPECT_EQ(count_nonzero(out), 10U);
    EXPECT_LE(rec.asked.size(), 9U); // bounded per block
}

} // namespace
} // namespace tinyice::autodj
