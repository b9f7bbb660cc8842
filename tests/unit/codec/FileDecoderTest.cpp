#include "codec/FileDecoder.hpp"

#include "codec/AudioTestUtil.hpp"
#include "codec/CodecTestUtil.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <random>

namespace tinyice::codec {
namespace {

using test::Bytes;

constexpr PcmFormat cd{44100, 2};

Bytes random_bytes(std::size_t n, unsigned seed) {
    std::mt19937 rng(seed);
    Bytes out(n);
    for (auto& b : out) {
        b = static_cast<std::uint8_t>(rng());
    }
    return out;
}

// lavfi's sine: mono, amplitude 1/8.
std::string sine_source(int frequency, double seconds, int rate = 44100) {
    return "-f lavfi -i sine=frequency=" + std::to_string(frequency) +
           ":sample_rate=" + std::to_string(rate) + ":duration=" + std::to_string(seconds);
}

// The same tone on two channels (ffmpeg's own mono-to-stereo would lower it by 3 dB).
std::string stereo_sine_source(int frequency, double seconds, int rate = 44100) {
    const std::string wave = "0.125*sin(2*PI*" + std::to_string(frequency) + "*t)";
    return "-f lavfi -i aevalsrc='" + wave + "|" + wave + "':s=" + std::to_string(rate) +
           ":d=" + std::to_string(seconds);
}

std::string error_of(const std::filesystem::path& path) {
    try {
        FileDecoder::open(path, cd);
    } catch (const CodecError& e) {
        return e.what();
    }
    return "";
}

class FileDecoderFixtures : public testing::Test {
protected:
    void SetUp() override {
        if (!test::have_ffprobe()) {
            GTEST_SKIP() << "ffmpeg CLI not installed";
        }
    }
    test::TempDir dir_;
};

TEST_F(FileDecoderFixtures, FlacTagsDurationAndReplayGain) {
    const auto path = dir_ / "tagged.flac";
    ASSERT_TRUE(test::make_with_ffmpeg(
        stereo_sine_source(440, 2) +
        " -metadata artist=X -metadata title=Y -metadata album=Z -metadata genre=Rock"
        " -metadata date=2001 -metadata track=3/12"
        " -metadata REPLAYGAIN_TRACK_GAIN='-6.50 dB' -metadata REPLAYGAIN_TRACK_PEAK=0.891"
        " -metadata REPLAYGAIN_ALBUM_GAIN='+1.5 dB' " +
        test::quoted(path)));
    auto decoder = FileDecoder::open(path, cd);
    const TrackTags& t = decoder->tags();
    EXPECT_EQ(t.artist, "X");
    EXPECT_EQ(t.title, "Y");
    EXPECT_EQ(t.album, "Z");
    EXPECT_EQ(t.genre, "Rock");
    EXPECT_EQ(t.date, "2001");
    EXPECT_EQ(t.track, "3/12");
    EXPECT_EQ(t.display_title(), "X - Y");
    EXPECT_EQ(t.codec, "flac");
    EXPECT_EQ(t.sample_rate, 44100);
    EXPECT_EQ(t.channels, 2);
    EXPECT_NEAR(t.duration, 2.0, 0.001);
    ASSERT_TRUE(t.rg_track_gain_db.has_value());
    EXPECT_NEAR(*t.rg_track_gain_db, -6.5, 1e-9);
    ASSERT_TRUE(t.rg_track_peak.has_value());
    EXPECT_NEAR(*t.rg_track_peak, 0.891, 1e-9);
    ASSERT_TRUE(t.rg_album_gain_db.has_value());
    EXPECT_NEAR(*t.rg_album_gain_db, 1.5, 1e-9);
    EXPECT_FALSE(t.rg_album_peak.has_value());

    // Lossless: exactly 2 s, the lavfi sine's amplitude (1/8).
    const auto pcm = test::decode_all(*decoder);
    EXPECT_EQ(pcm.size(), std::size_t{2 * 44100 * 2});
    EXPECT_NEAR(test::tone_amplitude(pcm, cd, 440), 0.125, 0.002);
    EXPECT_EQ(decoder->read(std::span<float>(std::vector<float>(64).data(), 64)), 0U);

    const TrackTags probed = probe_file(path);
    EXPECT_EQ(probed.title, "Y");
    EXPECT_EQ(probed.rg_track_gain_db, t.rg_track_gain_db);
}

TEST_F(FileDecoderFixtures, Mp3WithLameHeaderIsGaplessAndHasId3Tags) {
    const auto path = dir_ / "gapless.mp3";
    ASSERT_TRUE(
        test::make_with_ffmpeg(stereo_sine_source(440, 2) +
                               " -c:a libmp3lame -b:a 128k -metadata artist=Band"
                               " -metadata title=Song -metadata REPLAYGAIN_TRACK_GAIN=-3.2 " +
                               test::quoted(path)));
    auto decoder = FileDecoder::open(path, cd);
    EXPECT_EQ(decoder->tags().display_title(), "Band - Song");
    EXPECT_EQ(decoder->tags().codec, "mp3");
    EXPECT_EQ(decoder->tags().bitrate_kbps, 128);
    ASSERT_TRUE(decoder->tags().rg_track_gain_db.has_value());
    EXPECT_NEAR(*decoder->tags().rg_track_gain_db, -3.2, 1e-9);
    const auto pcm = test::decode_all(*decoder);
    // The LAME header's delay and padding are honoured: no encoder silence at either end.
    EXPECT_NEAR(test::seconds_of(pcm, cd), 2.0, 0.002);
    EXPECT_GT(std::fabs(pcm[200]), 0.001F) << "priming samples were not skipped";
}

TEST_F(FileDecoderFixtures, M4aIsGapless) {
    const auto path = dir_ / "tone.m4a";
    ASSERT_TRUE(test::make_with_ffmpeg(stereo_sine_source(440, 2) +
                                       " -c:a aac -b:a 128k -metadata title=Mfour " +
                                       test::quoted(path)));
    auto decoder = FileDecoder::open(path, cd);
    EXPECT_EQ(decoder->tags().title, "Mfour");
    EXPECT_EQ(decoder->tags().codec, "aac");
    // Both the encoder delay and the last frame's padding are gone.
    EXPECT_NEAR(test::seconds_of(test::decode_all(*decoder), cd), 2.0, 0.001);
    // Also after a seek.
    ASSERT_TRUE(decoder->seek(1.5));
    EXPECT_NEAR(test::seconds_of(test::decode_all(*decoder), cd), 0.5, 0.001);
}

TEST_F(FileDecoderFixtures, OpusR128GainIsConvertedToReplayGain) {
    const auto path = dir_ / "gain.opus";
    ASSERT_TRUE(test::make_with_ffmpeg(sine_source(440, 1, 48000) +
                                       " -c:a libopus -b:a 64k -metadata R128_TRACK_GAIN=-512 " +
                                       test::quoted(path)));
    const TrackTags t = probe_file(path);
    EXPECT_EQ(t.codec, "opus");
    ASSERT_TRUE(t.rg_track_gain_db.has_value());
    EXPECT_NEAR(*t.rg_track_gain_db, -2.0 + 5.0, 1e-9);
    EXPECT_NEAR(t.duration, 1.0, 0.01);
}

TEST_F(FileDecoderFixtures, MonoIsPlayedOnBothChannelsAtFullLevel) {
    const auto path = dir_ / "mono22k.wav";
    ASSERT_TRUE(
        test::make_with_ffmpeg(sine_source(440, 1, 22050) + " -ac 1 " + test::quoted(path)));
    auto decoder = FileDecoder::open(path, cd);
    EXPECT_EQ(decoder->tags().channels, 1);
    EXPECT_EQ(decoder->tags().sample_rate, 22050);
    const auto pcm = test::decode_all(*decoder);
    EXPECT_NEAR(test::seconds_of(pcm, cd), 1.0, 0.001);
    EXPECT_NEAR(test::tone_amplitude(pcm, cd, 440, 0), 0.125, 0.003);
    EXPECT_NEAR(test::tone_amplitude(pcm, cd, 440, 1), 0.125, 0.003);
}

TEST_F(FileDecoderFixtures, SurroundIsDownmixedWithoutClipping) {
    const auto path = dir_ / "surround.wav";
    // Six loud channels (0.9 each): a plain sum would clip badly.
    ASSERT_TRUE(test::make_with_ffmpeg(
        "-f lavfi -i aevalsrc='0.9*sin(2*PI*440*t)':s=48000:d=1 -af 'pan=5.1|c0=c0|c1=c0|c2=c0|"
        "c3=c0|c4=c0|c5=c0' " +
        test::quoted(path)));
    auto decoder = FileDecoder::open(path, cd);
    EXPECT_EQ(decoder->tags().channels, 6);
    const auto pcm = test::decode_all(*decoder);
    EXPECT_NEAR(test::seconds_of(pcm, cd), 1.0, 0.002);
    float peak = 0;
    for (const float v : pcm) {
        peak = std::max(peak, std::fabs(v));
    }
    EXPECT_LE(peak, 1.0F);
    EXPECT_GT(test::tone_amplitude(pcm, cd, 440), 0.3);
}

TEST_F(FileDecoderFixtures, VideoWithoutAudioIsRefused) {
    const auto path = dir_ / "video.mkv";
    ASSERT_TRUE(test::make_with_ffmpeg("-f lavfi -i testsrc=size=32x32:rate=5:duration=1 " +
                                       test::quoted(path)));
    EXPECT_EQ(error_of(path), path.string() + ": no audio stream");
    EXPECT_THROW(probe_file(path), CodecError);
}

// Seeking, on our own encoder's output: 440 Hz for 2 s, then 880 Hz for 2 s.
class FileDecoderSeek : public testing::TestWithParam<OutputCodec> {};

TEST_P(FileDecoderSeek, LandsOnTheTarget) {
    auto pcm = test::sine(cd, 440, 2.0);
    const auto high = test::sine(cd, 880, 2.0);
    pcm.insert(pcm.end(), high.begin(), high.end());
    const OutputCodec codec = GetParam();
    test::TempDir dir;
    const auto path = dir / (codec == OutputCodec::mp3    ? "seek.mp3"
                             : codec == OutputCodec::opus ? "seek.opus"
                                                          : "seek.ogg");
    test::write_file(path, test::encode({codec, 128, 0, 2}, cd, pcm));

    auto decoder = FileDecoder::open(path, cd);
    std::vector<float> block(4410 * 2); // 100 ms
    ASSERT_EQ(decoder->read(block), 4410U);
    EXPECT_NEAR(decoder->position(), 0.1, 1e-9);

    ASSERT_TRUE(decoder->seek(2.5));
    EXPECT_DOUBLE_EQ(decoder->position(), 2.5);
    ASSERT_EQ(decoder->read(block), 4410U);
    EXPECT_NEAR(decoder->position(), 2.6, 1e-9);
    // The decoder was pre-rolled before the target, so the audio is right from the start.
    EXPECT_GT(test::tone_amplitude(block, cd, 880), 0.45);
    EXPECT_LT(test::tone_amplitude(block, cd, 440), 0.05);
    // What is left is what follows 2.6 s: the seek was accurate to a few ms.
    const double rest = test::seconds_of(test::decode_all(*decoder), cd);
    EXPECT_NEAR(rest, 4.0 - 2.6, codec == OutputCodec::mp3 ? 0.05 : 0.02);

    // Just before the change of tone: 50 ms of each.
    ASSERT_TRUE(decoder->seek(1.95));
    ASSERT_EQ(decoder->read(block), 4410U);
    const double shift = codec == OutputCodec::mp3 ? 1105.0 / 44100 : 0; // raw MP3: no delay info
    const auto first = static_cast<std::size_t>((0.05 + shift) * 44100) * 2;
    EXPECT_GT(test::tone_amplitude(std::span(block).first(first - 200), cd, 440), 0.4);
    EXPECT_GT(test::tone_amplitude(std::span(block).subspan(first + 200), cd, 880), 0.4);

    // Back to the start, and clamped at both ends.
    ASSERT_TRUE(decoder->seek(-3));
    EXPECT_DOUBLE_EQ(decoder->position(), 0.0);
    ASSERT_EQ(decoder->read(block), 4410U);
    EXPECT_GT(test::tone_fraction(block, cd, 440, 0.45), 0.4);
    ASSERT_TRUE(decoder->seek(1e9));
    EXPECT_LE(decoder->position(), 4.1);
    EXPECT_LT(decoder->read(block), 4410U);
}

INSTANTIATE_TEST_SUITE_P(Codecs, FileDecoderSeek,
                         testing::Values(OutputCodec::mp3, OutputCodec::opus, OutputCodec::vorbis),
                         [](const auto& info) { return std::string(to_string(info.param)); });

class FileDecoderCorrupt : public testing::Test {
protected:
    void SetUp() override {
        mp3_ = test::encode({OutputCodec::mp3, 128, 0, 2}, cd, test::sine(cd, 440, 3.0));
    }
    test::TempDir dir_;
    Bytes mp3_;
};

TEST_F(FileDecoderCorrupt, EmptyFileThrows) {
    const auto path = dir_ / "empty.mp3";
    test::write_file(path, Bytes{});
    EXPECT_NE(error_of(path), "");
    EXPECT_THROW(probe_file(path), CodecError);
}

TEST_F(FileDecoderCorrupt, MissingFileAndDirectoryThrowWithTheirName) {
    const auto missing = dir_ / "missing.mp3";
    EXPECT_EQ(error_of(missing), missing.string() + ": cannot open: No such file or directory");
    EXPECT_EQ(error_of(dir_.path()), dir_.path().string() + ": is a directory");
}

TEST_F(FileDecoderCorrupt, ColonInTheNameIsNotAProtocol) {
    const auto path = dir_ / "http:tone.mp3";
    test::write_file(path, mp3_);
    auto decoder = FileDecoder::open(path, cd);
    EXPECT_NEAR(test::seconds_of(test::decode_all(*decoder), cd), 3.0, 0.06);
}

TEST_F(FileDecoderCorrupt, RandomBytesFailQuickly) {
    for (const char* name : {"random.mp3", "random.ogg", "random.bin"}) {
        const auto path = dir_ / name;
        test::write_file(path, random_bytes(512 * 1024, 42));
        const auto start = std::chrono::steady_clock::now();
        try {
            auto decoder = FileDecoder::open(path, cd);
            const auto pcm = test::decode_all(*decoder);
            // If FFmpeg took it for something, the result is short noise, never a hang.
            EXPECT_LT(test::seconds_of(pcm, cd), 30.0) << name;
        } catch (const CodecError& e) {
            EXPECT_NE(std::string(e.what()).find(name), std::string::npos) << e.what();
        }
        EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(3)) << name;
    }
}

TEST_F(FileDecoderCorrupt, TruncatedMp3DecodesWhatIsThere) {
    const auto path = dir_ / "truncated.mp3";
    const std::size_t cut = mp3_.size() * 6 / 10 + 77; // mid-frame
    test::write_file(path, std::span(mp3_).first(cut));
    auto decoder = FileDecoder::open(path, cd);
    const auto pcm = test::decode_all(*decoder);
    EXPECT_NEAR(test::seconds_of(pcm, cd), 3.0 * 0.6, 0.1);
    EXPECT_GT(test::tone_amplitude(pcm, cd, 440), 0.4);
}

TEST_F(FileDecoderCorrupt, GarbageInTheMiddleIsSkipped) {
    const auto path = dir_ / "holey.mp3";
    Bytes bytes = mp3_;
    const Bytes junk = random_bytes(8000, 7);
    std::copy(junk.begin(), junk.end(),
              bytes.begin() + static_cast<std::ptrdiff_t>(bytes.size() / 2));
    test::write_file(path, bytes);
    auto decoder = FileDecoder::open(path, cd);
    const auto pcm = test::decode_all(*decoder);
    // 8000 bytes of 128 kbps is 0.5 s; the audio around the hole is all there.
    EXPECT_GT(test::seconds_of(pcm, cd), 2.3);
    EXPECT_LT(test::seconds_of(pcm, cd), 3.1);
    EXPECT_EQ(decoder->error(), "");
    EXPECT_GT(test::tone_fraction(pcm, cd, 440, 0.4), 0.8);
}

TEST_F(FileDecoderCorrupt, ValidHeaderThenGarbageEndsWithoutHanging) {
    const auto path = dir_ / "header-then-garbage.mp3";
    Bytes bytes(mp3_.begin(), mp3_.begin() + 4000);
    const Bytes junk = random_bytes(300 * 1024, 9);
    bytes.insert(bytes.end(), junk.begin(), junk.end());
    test::write_file(path, bytes);
    const auto start = std::chrono::steady_clock::now();
    auto decoder = FileDecoder::open(path, cd);
    const auto pcm = test::decode_all(*decoder);
    EXPECT_GT(test::seconds_of(pcm, cd), 0.1); // the good start is decoded
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(3));
}

TEST_F(FileDecoderCorrupt, ManyCorruptPacketsInARowEndTheTrack) {
    // A well-framed Ogg Vorbis stream whose audio packets, after the first 0.5 s, are junk:
    // the container delivers them, the decoder rejects every one.
    const Bytes good = test::encode({OutputCodec::vorbis, 96, 0, 2}, cd, test::sine(cd, 440, 2.0));
    const auto packets = test::read_packets(good);
    test::OggWriter writer(packets[0].serial);
    writer.packet(packets[0].data, 0);
    writer.flush();
    writer.packet(packets[1].data, 0);
    writer.packet(packets[2].data, 0);
    writer.flush();
    std::int64_t granule = 0;
    for (std::size_t i = 3; i < packets.size(); ++i) {
        granule = packets[i].granule > 0 ? packets[i].granule : granule;
        if (granule > 22050) {
            writer.packet(Bytes(40, 0xFF), granule); // header-type bit set: not audio
        } else {
            writer.packet(packets[i].data, granule);
        }
    }
    writer.flush(true);
    const auto path = dir_ / "junk-packets.ogg";
    test::write_file(path, writer.out());
    auto decoder = FileDecoder::open(path, cd);
    const auto pcm = test::decode_all(*decoder);
    EXPECT_LT(test::seconds_of(pcm, cd), 1.0);
    EXPECT_EQ(decoder->skipped_packets(), 51U);
    EXPECT_NE(decoder->error().find("51 consecutive corrupt packets"), std::string::npos)
        << decoder->error();
    EXPECT_EQ(decoder->read(std::span<float>(std::vector<float>(64).data(), 64)), 0U);
}

TEST(FileDecoder, RefusesABadOutputFormat) {
    EXPECT_THROW(FileDecoder::open("/nonexistent.mp3", {44100, 3}), CodecError);
    EXPECT_THROW(FileDecoder::open("/nonexistent.mp3", {0, 2}), CodecError);
}

} // namespace
} // namespace tinyice::codec
