#include "codec/Loudness.hpp"

#include "codec/AudioTestUtil.hpp"

#include <gtest/gtest.h>

#include <cmath>

namespace tinyice::codec {
namespace {

constexpr PcmFormat cd{44100, 2};

LoudnessResult measure(PcmFormat format, const std::vector<float>& pcm) {
    LoudnessMeter meter(format);
    // In uneven blocks, as a decoder hands them over.
    for (std::size_t pos = 0; pos < pcm.size();) {
        const std::size_t n = std::min<std::size_t>(
            pcm.size() - pos, 3001 * static_cast<std::size_t>(format.channels));
        meter.add(std::span(pcm).subspan(pos, n));
        pos += n;
    }
    return meter.result();
}

TEST(Loudness, SineLevelsMatchBs1770) {
    // BS.1770 is calibrated so that a 1 kHz sine at X dBFS on both stereo channels reads about
    // X LUFS (-3.01 per channel, summed).
    const auto loud = measure(cd, test::sine(cd, 1000, 5.0, 0.5));
    const auto quiet = measure(cd, test::sine(cd, 1000, 5.0, 0.25));
    EXPECT_NEAR(loud.integrated_lufs, -6.02, 0.2);
    EXPECT_NEAR(loud.integrated_lufs - quiet.integrated_lufs, 6.02, 0.1);
    EXPECT_NEAR(loud.peak, 0.5, 0.001);
    EXPECT_NEAR(quiet.peak, 0.25, 0.001);
    EXPECT_NEAR(loud.seconds, 5.0, 1e-9);
}

TEST(Loudness, MonoCountsAsPlayedOnBothSpeakers) {
    const PcmFormat mono{48000, 1};
    const auto m = measure(mono, test::sine(mono, 1000, 5.0, 0.5));
    const auto s = measure(cd, test::sine(cd, 1000, 5.0, 0.5));
    EXPECT_NEAR(m.integrated_lufs, s.integrated_lufs, 0.1);
}

TEST(Loudness, SilenceIsMinus70) {
    const auto r = measure(cd, std::vector<float>(44100 * 2 * 3, 0.0F));
    EXPECT_LE(r.integrated_lufs, -70.0);
    EXPECT_EQ(r.peak, 0.0);
    const auto empty = LoudnessMeter(cd).result();
    EXPECT_LE(empty.integrated_lufs, -70.0);
    EXPECT_EQ(empty.seconds, 0.0);
}

TEST(Loudness, RefusesFormatsItCannotMeasure) {
    EXPECT_THROW(LoudnessMeter({44100, 0}), CodecError);
    EXPECT_THROW(LoudnessMeter({44100, 3}), CodecError);
    EXPECT_THROW(LoudnessMeter({0, 2}), CodecError);
}

TEST(Loudness, MeasuresAFileAtItsOwnRate) {
    test::TempDir dir;
    const auto path = dir / "tone.opus";
    const PcmFormat f48{48000, 2};
    test::write_file(
        path, test::encode({OutputCodec::opus, 128, 0, 2}, f48, test::sine(f48, 1000, 4.0, 0.25)));
    const auto r = measure_file_loudness(path);
    EXPECT_NEAR(r.integrated_lufs, -12.04, 0.3);
    EXPECT_NEAR(r.peak, 0.25, 0.02);
    EXPECT_NEAR(r.seconds, 4.0, 0.01);

    int polls = 0;
    const auto stopped = measure_file_loudness(path, [&] { return ++polls > 2; });
    EXPECT_EQ(polls, 3);
    EXPECT_LT(stopped.seconds, 1.0);

    EXPECT_THROW(measure_file_loudness(dir / "missing.flac"), CodecError);
}

TEST(Loudness, NormalisationGainFromReplayGain) {
    TrackTags tags;
    tags.rg_track_gain_db = -6.5; // to -18 LUFS
    EXPECT_DOUBLE_EQ(*normalisation_gain_db(tags, std::nullopt, -18), -6.5);
    EXPECT_DOUBLE_EQ(*normalisation_gain_db(tags, std::nullopt, -16), -4.5);
    EXPECT_DOUBLE_EQ(*normalisation_gain_db(tags, std::nullopt, -23), -11.5);
    // The tag wins over a measurement.
    EXPECT_DOUBLE_EQ(*normalisation_gain_db(tags, LoudnessResult{-30, 0.1, 100}, -18), -6.5);
}

TEST(Loudness, NormalisationGainFromMeasurement) {
    const TrackTags none;
    EXPECT_EQ(normalisation_gain_db(none, std::nullopt, -18), std::nullopt);
    EXPECT_DOUBLE_EQ(*normalisation_gain_db(none, LoudnessResult{-10, 0, 100}, -18), -8.0);
    EXPECT_DOUBLE_EQ(*normalisation_gain_db(none, LoudnessResult{-20, 0, 100}, -16), 4.0);
    // Silence: nothing sensible to do.
    EXPECT_EQ(normalisation_gain_db(none, LoudnessResult{-70, 0, 100}, -18), std::nullopt);
}

TEST(Loudness, NormalisationGainIsClampedAndRespectsThePeak) {
    const TrackTags none;
    EXPECT_DOUBLE_EQ(*normalisation_gain_db(none, LoudnessResult{-60, 0, 10}, -18), 12.0);
    EXPECT_DOUBLE_EQ(*normalisation_gain_db(none, LoudnessResult{20, 0, 10}, -18), -24.0);
    // -40 LUFS with peaks at 0.1 (-20 dBFS): +22 -> clamped to +12 -> at most +19 by peak: 12.
    EXPECT_DOUBLE_EQ(*normalisation_gain_db(none, LoudnessResult{-40, 0.1, 10}, -18), 12.0);
    // -30 LUFS with peaks at 0.5 (-6.02 dBFS): +12 would put the peak at +5.98; limit to -1 dBFS.
    const double limited = *normalisation_gain_db(none, LoudnessResult{-30, 0.5, 10}, -18);
    EXPECT_NEAR(limited, -1.0 - 20 * std::log10(0.5), 1e-9);
    // ReplayGain peak is used the same way.
    TrackTags tags;
    tags.rg_track_gain_db = 8.0;
    tags.rg_track_peak = 1.0;
    EXPECT_DOUBLE_EQ(*normalisation_gain_db(tags, std::nullopt, -18), -1.0);
    tags.rg_track_peak.reset();
    EXPECT_DOUBLE_EQ(*normalisation_gain_db(tags, std::nullopt, -18), 8.0);
    // Without a tag peak, a measured peak still protects.
    EXPECT_DOUBLE_EQ(*normalisation_gain_db(tags, LoudnessResult{-26, 1.0, 10}, -18), -1.0);
}

} // namespace
} // namespace tinyice::codec
