#include "autodj/Deck.hpp"

#include "autodj/FakeDecoder.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

namespace tinyice::autodj {
namespace {

using test::fake_decoder;

constexpr codec::PcmFormat stereo{1000, 2}; // 1 frame = 1 ms keeps the arithmetic readable

Deck make_deck(std::size_t frames, double gain = 1.0, std::uint64_t expected = 0,
               float value = 0.5F) {
    return Deck(7, fake_decoder(stereo, frames, [value](std::size_t) { return value; }), gain,
                expected, 64);
}

TEST(DeckTest, CurvesAreEqualPower) {
    for (double x = 0; x <= 1.0; x += 0.05) {
        const double in = fade_in_curve(x);
        const double out = fade_out_curve(x);
        EXPECT_NEAR(in * in + out * out, 1.0, 1e-12) << x;
    }
    EXPECT_DOUBLE_EQ(fade_in_curve(0), 0.0);
    EXPECT_DOUBLE_EQ(fade_in_curve(1), 1.0);
    EXPECT_NEAR(fade_out_curve(1), 0.0, 1e-12);
    EXPECT_NEAR(db_to_gain(-6.0206), 0.5, 1e-4);
}

TEST(DeckTest, AddsGainScaledSamples) {
    auto deck = make_deck(100, 0.5);
    std::vector<float> out(2 * 40, 0.25F);
    EXPECT_EQ(deck.mix_into(out, 40), 40U);
    for (float v : out) {
        ASSERT_FLOAT_EQ(v, 0.25F + 0.25F);
    }
    EXPECT_EQ(deck.position_frames(), 40U);
    EXPECT_FALSE(deck.ended());
}

TEST(DeckTest, EndsWithAShortRead) {
    auto deck = make_deck(100);
    std::vector<float> out(2 * 64);
    EXPECT_EQ(deck.mix_into(out, 64), 64U);
    EXPECT_EQ(deck.mix_into(out, 64), 36U);
    EXPECT_TRUE(deck.ended());
    EXPECT_EQ(deck.mix_into(out, 64), 0U);
    EXPECT_EQ(deck.position_frames(), 100U);
}

TEST(DeckTest, PrimeFindsTracksWithoutAudio) {
    auto empty = make_deck(0);
    EXPECT_FALSE(empty.prime());
    auto full = make_deck(10);
    EXPECT_TRUE(full.prime());
    // What prime() decoded is played, not lost.
    std::vector<float> out(2 * 64);
    EXPECT_EQ(full.mix_into(out, 64), 10U);
    EXPECT_FLOAT_EQ(out[0], 0.5F);
    EXPECT_FLOAT_EQ(out[19], 0.5F);
    EXPECT_FLOAT_EQ(out[20], 0.0F);
}

TEST(DeckTest, FadeInFollowsTheCurveThenHolds) {
    auto deck = make_deck(1000, 1.0, 0, 1.0F);
    deck.fade_in(100);
    std::vector<float> out(2 * 200);
    std::size_t done = 0;
    while (done < 200) {
        done += deck.mix_into(std::span<float>(out).subspan(done * 2), 50);
    }
    EXPECT_FLOAT_EQ(out[0], 0.0F);
    EXPECT_NEAR(out[2 * 50], fade_in_curve(0.5), 1e-6);
    EXPECT_NEAR(out[2 * 99 + 1], fade_in_curve(0.99), 1e-6);
    EXPECT_FLOAT_EQ(out[2 * 100], 1.0F);
    EXPECT_FLOAT_EQ(out[2 * 199], 1.0F);
}

TEST(DeckTest, FadeOutEndsTheDeck) {
    auto deck = make_deck(1000, 1.0, 0, 1.0F);
    std::vector<float> out(2 * 64);
    deck.mix_into(out, 10);
    deck.fade_out(30);
    std::fill(out.begin(), out.end(), 0.0F);
    EXPECT_EQ(deck.mix_into(out, 64), 30U);
    EXPECT_TRUE(deck.ended());
    EXPECT_FLOAT_EQ(out[0], 1.0F);
    EXPECT_NEAR(out[2 * 15], fade_out_curve(0.5), 1e-6);
    EXPECT_LT(out[2 * 29], 0.06F);
    EXPECT_FLOAT_EQ(out[2 * 30], 0.0F);
}

TEST(DeckTest, FadeOutDuringFadeInStartsWhereItIs) {
    auto deck = make_deck(1000, 1.0, 0, 1.0F);
    deck.fade_in(100);
    std::vector<float> out(2 * 64);
    deck.mix_into(out, 50); // envelope now sin(pi/4)
    deck.fade_out(20);
    std::fill(out.begin(), out.end(), 0.0F);
    deck.mix_into(out, 64);
    EXPECT_NEAR(out[0], fade_in_curve(0.5), 1e-6); // no jump up to full level
    EXPECT_TRUE(deck.ended());
}

TEST(DeckTest, RemainingFramesFollowTheExpectedLength) {
    auto unknown = make_deck(100);
    EXPECT_FALSE(unknown.remaining_frames());
    auto known = make_deck(100, 1.0, 120);
    std::vector<float> out(2 * 64);
    known.mix_into(out, 50);
    EXPECT_EQ(known.remaining_frames(), 70U);
    known.mix_into(out, 64);
    EXPECT_EQ(known.remaining_frames(), 20U); // ended early: the estimate was long
    EXPECT_TRUE(known.ended());
    auto overrun = make_deck(200, 1.0, 120);
    for (int i = 0; i < 3; ++i) {
        overrun.mix_into(out, 64);
    }
    EXPECT_EQ(overrun.remaining_frames(), 0U); // longer than expected: never negative
}

TEST(DeckTest, SeekMovesThePosition) {
    auto decoder = fake_decoder(stereo, 1000, [](std::size_t n) { return n / 1000.0F; });
    auto* raw = decoder.get();
    Deck deck(1, std::move(decoder), 1.0, 1000, 64);
    std::vector<float> out(2 * 64);
    deck.mix_into(out, 64);
    ASSERT_TRUE(deck.seek(0.5));
    EXPECT_EQ(deck.position_frames(), 500U);
    EXPECT_DOUBLE_EQ(deck.position_seconds(), 0.5);
    std::fill(out.begin(), out.end(), 0.0F);
    deck.mix_into(out, 1);
    EXPECT_FLOAT_EQ(out[0], 0.5F);
    raw->seekable_ = false;
    EXPECT_FALSE(deck.seek(0.1));
    EXPECT_EQ(deck.position_frames(), 501U);
}

} // namespace
} // namespace tinyice::autodj
