#include "codec/AudioTypes.hpp"

#include "codec/FileDecoder.hpp"
#include "codec/ReplayGain.hpp"

#include <gtest/gtest.h>

namespace tinyice::codec {
namespace {

// FFmpeg's own log lines (warnings about corrupt test input) go to the "ffmpeg" logger at
// debug level instead of cluttering the test output.
class FfmpegLogging : public testing::Environment {
public:
    void SetUp() override { init_ffmpeg_logging(); }
};
[[maybe_unused]] const auto* const ffmpeg_logging =
    testing::AddGlobalTestEnvironment(new FfmpegLogging);

TEST(AudioTypes, DisplayTitle) {
    TrackTags t;
    EXPECT_EQ(t.display_title(), "");
    t.artist = "Artist";
    EXPECT_EQ(t.display_title(), "Artist");
    t.title = "Title";
    EXPECT_EQ(t.display_title(), "Artist - Title");
    t.artist.clear();
    EXPECT_EQ(t.display_title(), "Title");
}

TEST(AudioTypes, OutputCodecNames) {
    for (const auto codec :
         {OutputCodec::mp3, OutputCodec::opus, OutputCodec::vorbis, OutputCodec::aac}) {
        EXPECT_EQ(output_codec_from_string(to_string(codec)), codec);
    }
    EXPECT_EQ(to_string(OutputCodec::vorbis), "vorbis");
    EXPECT_EQ(output_codec_from_string("MP3"), OutputCodec::mp3);
    EXPECT_EQ(output_codec_from_string("Opus"), OutputCodec::opus);
    EXPECT_EQ(output_codec_from_string("flac"), std::nullopt);
    EXPECT_EQ(output_codec_from_string(""), std::nullopt);
    EXPECT_EQ(output_codec_from_string("mp3 "), std::nullopt);
}

TEST(AudioTypes, InitFfmpegLoggingIsIdempotent) {
    init_ffmpeg_logging();
    init_ffmpeg_logging();
    SUCCEED();
}

TEST(ReplayGain, ParsesGainsAsTaggersWriteThem) {
    EXPECT_DOUBLE_EQ(*parse_replaygain_gain("-6.53 dB"), -6.53);
    EXPECT_DOUBLE_EQ(*parse_replaygain_gain("+1.20 dB"), 1.2);
    EXPECT_DOUBLE_EQ(*parse_replaygain_gain("\xE2\x88\x92"
                                            "6.5 dB"),
                     -6.5); // U+2212
    EXPECT_DOUBLE_EQ(*parse_replaygain_gain(" -6,5 dB "), -6.5);
    EXPECT_DOUBLE_EQ(*parse_replaygain_gain("3.1"), 3.1);
    EXPECT_DOUBLE_EQ(*parse_replaygain_gain("-2 db"), -2.0);
    EXPECT_DOUBLE_EQ(*parse_replaygain_gain("0.00 dB"), 0.0);
    EXPECT_EQ(parse_replaygain_gain(""), std::nullopt);
    EXPECT_EQ(parse_replaygain_gain("dB"), std::nullopt);
    EXPECT_EQ(parse_replaygain_gain("loud"), std::nullopt);
    EXPECT_EQ(parse_replaygain_gain("-6.5 dB extra"), std::nullopt);
    EXPECT_EQ(parse_replaygain_gain("--6.5"), std::nullopt);
    EXPECT_EQ(parse_replaygain_gain("-99 dB"), std::nullopt);
    EXPECT_EQ(parse_replaygain_gain("nan"), std::nullopt);
    EXPECT_EQ(parse_replaygain_gain("1.2.3"), std::nullopt);
}

TEST(ReplayGain, ParsesPeaks) {
    EXPECT_DOUBLE_EQ(*parse_replaygain_peak("0.988235"), 0.988235);
    EXPECT_DOUBLE_EQ(*parse_replaygain_peak("1.2"), 1.2);
    EXPECT_EQ(parse_replaygain_peak("-0.5"), std::nullopt);
    EXPECT_EQ(parse_replaygain_peak("1000"), std::nullopt);
    EXPECT_EQ(parse_replaygain_peak("x"), std::nullopt);
}

TEST(ReplayGain, ConvertsOpusR128ToTheReplayGainReference) {
    EXPECT_DOUBLE_EQ(*parse_r128_gain("0"), 5.0);      // -23 LUFS track: +5 dB to -18
    EXPECT_DOUBLE_EQ(*parse_r128_gain("-2048"), -3.0); // -8 dB
    EXPECT_DOUBLE_EQ(*parse_r128_gain("+256"), 6.0);
    EXPECT_EQ(parse_r128_gain("1.5"), std::nullopt);
    EXPECT_EQ(parse_r128_gain("40000"), std::nullopt);
    EXPECT_EQ(parse_r128_gain(""), std::nullopt);
}

} // namespace
} // namespace tinyice::codec
